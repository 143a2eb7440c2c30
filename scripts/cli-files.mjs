// Writes docs/cli.md from the commands' definitions (src/cli/commands/).
// Run with `npm run cli-files` (tsx loads the TypeScript); test/cli-reference checks the result.
import { writeFileSync } from "node:fs";
import { cliReference } from "../src/cli/reference.ts";

writeFileSync(new URL("../docs/cli.md", import.meta.url), cliReference());
