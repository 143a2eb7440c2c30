/** The file made from the commands' own definitions (src/cli/commands/) is the committed one. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { cliReference, readmeCommands, withReadmeCommands } from "../src/cli/reference.js";
import { REPO_ROOT } from "./helpers/paths.js";

describe("what `npm run cli-files` writes", () => {
  it("docs/cli.md is the reference generated from the commands", () => {
    assert.equal(
      readFileSync(join(REPO_ROOT, "docs", "cli.md"), "utf8"),
      cliReference(),
      "run `npm run cli-files` and commit the result",
    );
  });

  it("the README's table of commands is the one generated from the commands (the list exists once)", () => {
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    assert.equal(
      readme,
      withReadmeCommands(readme, readmeCommands()),
      "run `npm run cli-files` and commit the result",
    );
    for (const name of ["route", "doctor", "completion"])
      assert.match(readme, new RegExp(`\\| \`mirrord-up ${name}[ \`]`));
  });
});
