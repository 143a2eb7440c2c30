/**
 * Templates cannot run code or escape into JavaScript: every attempt below either fails with an
 * error or renders inert text, and none of them runs the command it carries (each would create
 * a `pwned` file). The last test does the same through the real CLI, as a user would.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { renderTera, type TeraResult } from "../src/template/index.js";
import { BIN } from "./helpers/paths.js";
import { tempDir } from "./helpers/tmp.js";

const dir = tempDir();
const marker = join(dir, "pwned");
const command = `touch ${marker}`;
const run = `process.getBuiltinModule('child_process').execSync('${command}')`;

/** Renders with a context and environment like mirrord-up's, and checks nothing ran. */
function attempt(template: string): TeraResult {
  const result = renderTera(template, { key: "k", git_branch: "main" }, { env: { HOME: "/home/u" } });
  assert.equal(existsSync(marker), false, `the template ran code: ${template}`);
  assert.equal(({} as Record<string, unknown>).polluted, undefined, "Object.prototype was modified");
  return result;
}

function assertError(template: string, message?: RegExp): void {
  const result = attempt(template);
  assert.ok(!result.ok, `expected an error, rendered ${JSON.stringify(result)}`);
  assert.ok(
    result.errors.every((e) => e.line >= 1 && e.col >= 1),
    "errors are located",
  );
  if (message) assert.match(result.errors[0]!.message, message);
}

describe("templates cannot reach JavaScript", () => {
  it("a constructor call in a YAML comment is a syntax error and runs nothing", () => {
    assertError(`# {{ range.constructor("return ${run.replaceAll('"', "'")}")() }}\nservices: {}`);
  });

  it("the constructor of a string literal is a syntax error", () => {
    assertError(`{{ "".constructor.constructor("${run.replaceAll('"', "'")}")() }}`);
  });

  it("JavaScript properties of values are not Tera attributes", () => {
    for (const path of [
      "key.__proto__",
      "key.constructor",
      "key.length",
      'key["constructor"]',
      "key['__proto__']",
    ]) {
      assertError(`{{ ${path} }}`, /not found in context/);
    }
    assertError("{{ [].constructor }}");
    assertError("{{ range(end=2).constructor }}");
  });

  it("functions are not values: they cannot be stored or inspected", () => {
    assertError("{% set x = get_env %}{{ x.constructor }}", /Variable `get_env` not found/);
    assertError("{{ self }}", /Variable `self` not found/);
    assertError("{{ range }}", /Variable `range` not found/);
  });

  it("filters that read attributes see only data", () => {
    const people = "[{'name': 'a'}]";
    assert.deepEqual(attempt(`{{ ${people} | length }}`).ok, false); // no object literals in Tera
    const mapped = attempt("{{ ['a', 'b'] | map(attribute='constructor') }}");
    assert.deepEqual(mapped, { ok: true, text: "[]" });
    assertError("{{ key | get(key='__proto__') }}", /isn't an object/);
    assertError("{% for k, v in key %}{% endfor %}");
  });

  it("setting `__proto__` makes a template variable, not a prototype change", () => {
    const result = attempt(
      "{% set __proto__ = 'x' %}{% set_global polluted = 1 %}{{ __proto__ }}{{ polluted }}",
    );
    assert.deepEqual(result, { ok: true, text: "x1" });
  });

  it("a context key named like a JavaScript property is plain data", () => {
    const context = JSON.parse('{"__proto__": {"polluted": 1}, "constructor": "c"}');
    const result = renderTera("{{ constructor }} {{ __proto__.polluted }}", context);
    assert.deepEqual(result, { ok: true, text: "c 1" });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe("templates cannot exhaust the machine", () => {
  it("a loop over a huge range is refused", () => {
    assertError("{% for i in range(end=100000000) %}{% endfor %}", /more than 1000000 numbers/);
  });

  it("endless macro recursion stops at a depth bound", () => {
    assertError("{% macro f() %}{{ self::f() }}{% endmacro %}{{ self::f() }}", /nest more than 200 deep/);
  });

  it("multiplying a string is a syntax error (Tera has no string repetition)", () => {
    assertError('{{ "x" * 1e9 }}');
  });

  it("nested loops that would print gigabytes stop at the output bound", () => {
    const t =
      "{% for a in range(end=1000) %}{% for b in range(end=1000) %}{% for c in range(end=1000) %}" +
      "xxxxxxxxxxxxxxxx{% endfor %}{% endfor %}{% endfor %}";
    assertError(t, /larger than 8 MiB|more than 1000000 times/);
  });

  it("growing a list by concatenating it with itself stops at the list bound", () => {
    const t =
      "{% set_global xs = range(end=1000) %}{% for i in range(end=30) %}{% set_global xs = xs | concat(with=xs) %}{% endfor %}";
    assertError(t, /more than 1000000 items/);
  });

  it("sorting a huge list again and again stops at the work bound", () => {
    const t =
      "{% set xs = range(end=200000) %}{% for i in range(end=1000) %}{{ xs | sort | length }}{% endfor %}";
    assertError(t, /too much work/);
  });
});

describe("the CLI with a hostile mirrord-up.yaml", () => {
  it("validate reports the template error at its position, exits 2 and runs nothing", () => {
    const work = tempDir();
    const payload = `# {{ range.constructor("return ${run.replaceAll('"', "'")}")() }}\nservices:\n  a: {run: {command: [x]}}\n`;
    writeFileSync(join(work, "evil.yaml"), payload);
    const result = spawnSync(process.execPath, [BIN, "validate", "-f", "evil.yaml", "-k", "k"], {
      cwd: work,
      env: { PATH: process.env.PATH },
      encoding: "utf8",
    });
    assert.equal(existsSync(marker), false, "the payload ran");
    assert.equal(existsSync(join(work, "pwned")), false, "the payload ran");
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /evil\.yaml:1:23: error: template error: expected/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
  });
});
