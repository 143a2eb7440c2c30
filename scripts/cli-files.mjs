// Writes docs/cli.md and bin/mirrord-up.js from the commands' definitions (src/cli/commands/).
// Run with `npm run cli-files` (tsx loads the TypeScript); test/cli-reference checks the results.
import { writeFileSync } from "node:fs";
import { binFile, cliReference } from "../src/cli/reference.ts";

writeFileSync(new URL("../docs/cli.md", import.meta.url), cliReference());
writeFileSync(new URL("../bin/mirrord-up.js", import.meta.url), binFile());
