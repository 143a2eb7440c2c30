/** Tera-compatible templating of the whole file (upstream `up/lib.rs` template tests, and more). */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, it } from "node:test";
import { loadConfig } from "../src/config/load.js";
import { renderTemplate } from "../src/config/template.js";
import { UserError } from "../src/core/errors.js";
import { tempDir, withConfig } from "./helpers/tmp.js";

function load(text: string, env: NodeJS.ProcessEnv = {}, key = "alice", cwd?: string) {
  const dir = cwd ?? withConfig(text);
  if (cwd) execFileSync("sh", ["-c", `cat > mirrord-up.yaml`], { cwd, input: text });
  return loadConfig({ file: "mirrord-up.yaml", cwd: dir, key, env });
}
function loadError(text: string, env: NodeJS.ProcessEnv = {}): UserError {
  try {
    load(text, env);
  } catch (error) {
    assert.ok(error instanceof UserError, String(error));
    return error;
  }
  assert.fail("expected the load to fail");
}

describe("templating", () => {
  it("template_key_in_env_override", () => {
    const c = load(`services: {a: {env: {override: {SESSION: "{{ key }}"}}, run: {command: [x]}}}`);
    assert.deepEqual(c.config.services.a!.env!.override, { SESSION: "alice" });
  });

  it("template_key_in_command_and_env", () => {
    const c = load(
      `services:\n  a:\n    env: {override: {K: "k-{{ key }}"}}\n    run: {command: [echo, "{{ key }}"]}\n`,
    );
    assert.deepEqual(c.config.services.a!.run.command, ["echo", "alice"]);
    assert.equal(c.config.services.a!.env!.override!.K, "k-alice");
  });

  it("git_branch comes from MIRRORD_BRANCH_NAME first", () => {
    const c = load(`services: {a: {run: {command: [echo, "{{ git_branch }}"]}}}`, {
      MIRRORD_BRANCH_NAME: "feat-x",
    });
    assert.deepEqual(c.config.services.a!.run.command, ["echo", "feat-x"]);
  });

  it("git_branch comes from the checked-out branch of the working directory", () => {
    const dir = tempDir();
    execFileSync("git", ["init", "-q", "-b", "my-branch"], { cwd: dir });
    const c = load(`services: {a: {run: {command: [echo, "{{ git_branch }}"]}}}`, {}, "alice", dir);
    assert.deepEqual(c.config.services.a!.run.command, ["echo", "my-branch"]);
  });

  it("an unknown git_branch is an error pointing at it, unless given a default", () => {
    const error = loadError(`services:\n  a:\n    run: {command: [echo, "{{ git_branch }}"]}\n`);
    const d = error.diagnostics[0]!;
    assert.equal(d.line, 3);
    assert.equal(d.col, 31);
    assert.match(d.message, /variable `git_branch` is not defined/);
    assert.match(d.hint ?? "", /default\(value=/);
    const c = load(`services: {a: {run: {command: [echo, "{{ git_branch | default(value='main') }}"]}}}`);
    assert.deepEqual(c.config.services.a!.run.command, ["echo", "main"]);
  });

  it("get_env reads the environment, with Tera's default= argument", () => {
    const text = `services: {a: {run: {command: [echo, "{{ get_env(name='HOME_X', default='none') }}", "{{ get_env(name='SET') }}"]}}}`;
    const c = load(text, { SET: "yes" });
    assert.deepEqual(c.config.services.a!.run.command, ["echo", "none", "yes"]);
    const error = loadError(`services: {a: {run: {command: ["{{ get_env(name='MISSING') }}"]}}}`);
    assert.match(error.diagnostics[0]!.message, /environment variable `MISSING` is not set/);
    assert.equal(error.diagnostics[0]!.hint, "give it a default: get_env(name='MISSING', default='...')");
  });

  it("a positional filter argument is an error, as in Tera, with a hint to name it", () => {
    const text = `services: {a: {run: {command: ["{{ git_branch | default('main') }}"]}}}`;
    const d = loadError(text).diagnostics[0]!;
    assert.equal(d.col, text.indexOf("'main'") + 1);
    assert.match(d.message, /template error: expected/);
    assert.match(d.hint ?? "", /default\(value='x'\)/);
  });

  it("filters are Tera's: replace, truncate and title on a dotted key", () => {
    const r = renderTemplate(
      "{{ key | replace(from='.', to='-') }} {{ key | truncate(length=3) }} {{ key | title }}",
      { key: "a.b-c" },
      "f",
    );
    assert.deepEqual(r, { ok: true, text: "a-b-c a.b… A.B-C" });
  });

  it("every undefined variable is reported, each at its own position", () => {
    const error = loadError(`services:\n  a:\n    run: {command: ["{{ one }}", "{{ two }}"]}\n`);
    assert.deepEqual(
      error.diagnostics.map((d) => [d.line, d.col, d.message]),
      [
        [3, 25, "template error: variable `one` is not defined"],
        [3, 38, "template error: variable `two` is not defined"],
      ],
    );
  });

  it("an unknown filter is named, with the closest built-in as a hint", () => {
    const d = loadError(`services: {a: {run: {command: ["{{ key | uper }}"]}}}`).diagnostics[0]!;
    assert.equal(d.message, "template error: unknown filter `uper`");
    assert.match(d.hint ?? "", /`upper`/);
  });

  it("an error message never shows the value of an environment variable", () => {
    const error = loadError(`services: {a: {run: {command: ["{{ get_env(name='TOKEN') | first }}"]}}}`, {
      TOKEN: "s3cr3t-value",
    });
    assert.match(error.diagnostics[0]!.message, /first/);
    assert.doesNotMatch(error.diagnostics[0]!.message, /s3cr3t-value/);
  });

  it("if blocks, filters and raw blocks work as in Tera", () => {
    const r = renderTemplate(
      "{% if key == 'alice' %}a: {{ key | upper }}{% endif %}\nb: {% raw %}{{ not a var }}{% endraw %}",
      { key: "alice" },
      "f",
    );
    assert.deepEqual(r, { ok: true, text: "a: ALICE\nb: {{ not a var }}" });
  });

  it("a syntax error in a template points at file:line:col", () => {
    const error = loadError(`services:\n  a:\n    run: {command: ["{{ key }"]}\n`);
    const d = error.diagnostics[0]!;
    assert.equal(d.file, "mirrord-up.yaml");
    assert.equal(d.line, 3);
    assert.ok(d.col !== undefined && d.col > 1);
    assert.match(d.message, /template error/);
  });

  it("comments are templated too (as upstream): a stray {{ in a comment is an error", () => {
    loadError(`# use {{ here\nservices: {a: {run: {command: [x]}}}\n`);
  });

  it("YAML errors after templating still point at the line the user wrote", () => {
    const text = `{# a comment block #}\n{% if true %}\n{% endif %}\nservices:\n  a:\n    run: {command: ["{{ key }}"], typo: 1}\n`;
    const d = loadError(text).diagnostics[0]!;
    assert.equal(d.line, 6);
    assert.match(d.sourceLine ?? "", /typo/);
    assert.equal(d.col, text.split("\n")[5]!.indexOf("typo") + 1);
  });
});

describe("positions after templating changed the line count", () => {
  it("a block that removes lines still maps later errors to the written line", () => {
    const text = `{% if false %}\nx: 1\ny: 2\n{% endif %}\nservices:\n  a:\n    run: {command: ["{{ key }}"], typo: 1}\n`;
    const d = loadError(text).diagnostics[0]!;
    assert.equal(d.line, 7);
    assert.match(d.sourceLine ?? "", /typo/);
  });
});
