/** The file made from the commands' own definitions (src/cli/commands/) is the committed one. */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { cliReference } from "../src/cli/reference.js";
import { REPO_ROOT } from "./helpers/paths.js";

describe("what `npm run cli-files` writes", () => {
  it("docs/cli.md is the reference generated from the commands", () => {
    assert.equal(
      readFileSync(join(REPO_ROOT, "docs", "cli.md"), "utf8"),
      cliReference(),
      "run `npm run cli-files` and commit the result",
    );
  });
});
