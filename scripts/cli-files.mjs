// Writes docs/cli.md and the README's table of commands from the commands' definitions
// (src/cli/commands/). Run with `npm run cli-files` (tsx loads the TypeScript);
// test/cli-reference checks the result.
import { readFileSync, writeFileSync } from "node:fs";
import { cliReference, readmeCommands, withReadmeCommands } from "../src/cli/reference.ts";

writeFileSync(new URL("../docs/cli.md", import.meta.url), cliReference());
const readme = new URL("../README.md", import.meta.url);
writeFileSync(readme, withReadmeCommands(readFileSync(readme, "utf8"), readmeCommands()));
