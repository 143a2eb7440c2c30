/**
 * The README is enough to get going: every YAML example in README.md and docs/ is a valid file,
 * and the README's fuller example (examples/quickstart/) runs against the stand-in mirrord and is
 * steered with `ps`, `restart` and `logs` from other processes, as the README says.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { loadConfig } from "../src/config/load.js";
import { UserError } from "../src/core/errors.js";
import type { ServiceStatus } from "../src/run/control-types.js";
import { REPO_ROOT } from "./helpers/paths.js";
import { client, ps } from "./helpers/ps.js";
import { tempDir } from "./helpers/tmp.js";
import { startUp } from "./helpers/up.js";

const PAGES = [
  "README.md",
  ...readdirSync(join(REPO_ROOT, "docs"))
    .filter((n) => n.endsWith(".md"))
    .map((n) => join("docs", n)),
];
const QUICKSTART = join(REPO_ROOT, "examples", "quickstart");

/** The ```yaml blocks of a Markdown page, with the line each starts at. */
function yamlBlocks(page: string): { line: number; text: string }[] {
  const lines = readFileSync(join(REPO_ROOT, page), "utf8").split("\n");
  const blocks: { line: number; text: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== "```yaml") continue;
    const start = i + 1;
    while (i + 1 < lines.length && lines[i + 1]?.trim() !== "```") i++;
    blocks.push({ line: start + 1, text: `${lines.slice(start, i + 1).join("\n")}\n` });
  }
  return blocks;
}

describe("the YAML examples of the README and docs/", () => {
  const all = PAGES.flatMap((page) => yamlBlocks(page).map((b) => ({ page, ...b })));

  it("there are some (the extraction works)", () => {
    assert.ok(all.length >= 3, JSON.stringify(all.map((b) => `${b.page}:${b.line}`)));
  });

  for (const block of all) {
    it(`${block.page}:${block.line} is a valid mirrord-up.yaml`, () => {
      const dir = tempDir();
      writeFileSync(join(dir, "mirrord-up.yaml"), block.text);
      try {
        loadConfig({ file: "mirrord-up.yaml", cwd: dir, key: "k", env: {} });
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        assert.fail(
          `${block.page}:${block.line}: ${error.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`).join("; ")}`,
        );
      }
    });
  }

  it("the README's fuller example is examples/quickstart/mirrord-up.yaml, word for word", () => {
    const file = readFileSync(join(QUICKSTART, "mirrord-up.yaml"), "utf8");
    assert.ok(
      yamlBlocks("README.md").some((b) => b.text === file),
      "copy examples/quickstart/mirrord-up.yaml into the README's fuller example",
    );
  });
});

function row(rows: ServiceStatus[], name: string): ServiceStatus {
  const found = rows.find((r) => r.name === name);
  assert.ok(found, `no row for ${name}`);
  return found;
}

describe("the README's fuller example, run and steered", { timeout: 120_000 }, () => {
  it("starts in dependency order, and answers ps, restart and logs from other processes", async () => {
    const files = Object.fromEntries(
      readdirSync(QUICKSTART)
        .filter((n) => n !== "mirrord-up.yaml")
        .map((n) => [n, readFileSync(join(QUICKSTART, n), "utf8")]),
    );
    const run = startUp(readFileSync(join(QUICKSTART, "mirrord-up.yaml"), "utf8"), {
      files,
      args: ["--no-color", "-k", "alice"],
    });
    await run.waitForOutput("all 3 services ready");
    const out = run.stdout().toString();
    // The job ran after the database was ready, the api after the job, with its env file.
    const at = (text: string) => out.indexOf(text);
    assert.ok(out.search(/db +▸ ready/) < at("migrate: 3 migrations applied"), out);
    assert.ok(at("migrate: 3 migrations applied") < at("api: listening on 8080 (log level debug)"), out);

    const states = await ps(run);
    assert.equal(row(states, "db").state, "ready");
    assert.equal(row(states, "api").state, "ready");
    assert.equal(row(states, "worker").state, "ready");
    assert.equal(row(states, "migrate").state, "exited");

    const apiPid = row(states, "api").pid;
    const restarted = await client(run, ["restart", "api"]);
    assert.equal(restarted.code, 0, restarted.stderr);
    const after = await ps(run);
    assert.notEqual(row(after, "api").pid, apiPid);
    assert.equal(row(after, "worker").pid, row(states, "worker").pid);

    await run.waitForOutput(/api +\| api: listening on 8080[^\n]*\n[\s\S]*api +\| api: listening on 8080/);
    const logs = await client(run, ["logs", "-n", "20", "api", "--no-color"]);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /^api +\| api: listening on 8080 \(log level debug\)$/m);
    assert.doesNotMatch(logs.stdout, /^(db|worker|migrate) /m);

    const down = await client(run, ["down"]);
    assert.equal(down.code, 0, down.stderr);
    assert.equal((await run.exited).code, 0);
  });
});
