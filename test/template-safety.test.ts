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
import { BIN_ARGS } from "./helpers/paths.js";
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

/** A shared value: `[v, v]` nested `n` deep, made in n cheap steps and 2^n items to walk. */
const shared = (name: string, n: number, leaf = "1") =>
  `{% set_global ${name} = ${leaf} %}{% for i in range(end=${n}) %}{% set_global ${name} = [${name}, ${name}] %}{% endfor %}`;

/**
 * Renders `template` and expects its last error to match `message` and to lie in `op`, found
 * after `after` in the template; returns the work the render was charged.
 */
function refusedAt(
  template: string,
  [op, after = ""]: [string, string?],
  message: RegExp,
  limits?: NonNullable<Parameters<typeof renderTera>[2]>["limits"],
): number {
  const stats = { work: 0 };
  const result = renderTera(template, {}, { limits, stats });
  assert.ok(!result.ok, `expected an error from ${op}, rendered ${JSON.stringify(result).slice(0, 200)}`);
  const error = result.errors.at(-1)!;
  assert.match(error.message, message, op);
  const start = template.indexOf(op, template.indexOf(after)) + 1;
  assert.ok(start > 0, `${op} is in the template`);
  assert.equal(error.line, 1, op);
  assert.ok(
    error.col >= start && error.col < start + op.length,
    `${op}: error at col ${error.col}, expected ${start}..`,
  );
  return stats.work;
}

describe("shared values cannot make a render walk more than its budget", () => {
  const SIZE = /more than 1000000 items|MiB|more than 1000000 times/;

  // Ways to make a value whose unshared size doubles at each turn of a 60-turn loop; each is
  // refused where the value is made, after ~20 turns.
  const growers: { name: string; setup: string; grow: string; at?: string }[] = [
    { name: "an array literal", setup: "{% set_global x = [1] %}", grow: "[x, x]" },
    { name: "concat with itself", setup: "{% set_global x = [1] %}", grow: "x | concat(with=x)" },
    { name: "concat of nested copies", setup: "{% set_global x = [1] %}", grow: "[x] | concat(with=[x])" },
    { name: "appending itself", setup: "{% set_global x = [1] %}", grow: "x | concat(with=[x])" },
    { name: "string concatenation", setup: "{% set_global x = 'ab' %}", grow: "x ~ x" },
    {
      name: "copies of a long string",
      setup: `{% set_global s = 'abcdefghijklmnop' %}{% for i in range(end=12) %}{% set_global s = s ~ s %}{% endfor %}{% set_global x = [s] %}`,
      grow: "x | concat(with=x)",
    },
    { name: "join", setup: "{% set_global x = 'ab' %}", grow: "[x, x] | join(sep=x)" },
    { name: "replace", setup: "{% set_global x = 'ab' %}", grow: "x | replace(from='a', to=x)" },
    { name: "indent", setup: "{% set_global x = 'ab' %}", grow: "x | indent(prefix=x ~ x, first=true)" },
    // Refused where the macro prints the text that is too long.
    {
      name: "a macro's output",
      setup: "{% set_global x = 'ab' %}",
      grow: "self::twice(s=x)",
      at: "{{ s }}{{ s }}",
    },
  ];
  for (const { name, setup, grow, at } of growers) {
    it(`a value grown by ${name} is refused where it is made`, () => {
      const macro = "{% macro twice(s) %}{{ s }}{{ s }}{% endmacro twice %}";
      const template = `${macro}${setup}{% for i in range(end=60) %}{% set_global x = ${grow} %}{% endfor %}{{ x }}`;
      const work = refusedAt(template, at ? [at] : [grow, "range(end=60)"], SIZE);
      console.log(`# ${name}: refused after ${work} units of work`);
    });
  }

  // Every operation that walks a value whole, on a legal shared value (2^12 leaves, ~8k items
  // unshared), 200 times: 1.6 M units of walking against a budget of 200 k. Each must run out of
  // budget: were a walk not charged, the loop would finish (or fail otherwise).
  const LIMITS = { maxWork: 200_000 };
  const walks: { op: string; how?: "print" | "if" | "set" }[] = [
    { op: "x", how: "print" },
    { op: "x | json_encode" },
    { op: "x | json_encode(pretty=true)" },
    { op: "x | as_str" },
    { op: "x | join(sep=',')" },
    { op: "x | sort" },
    { op: "x | unique", how: "if" },
    { op: "x | group_by(attribute='0')" },
    { op: "x | filter(attribute='0', value=y.0)" },
    { op: "x == y", how: "if" },
    { op: "x != y", how: "if" },
    { op: "x in xs", how: "if" },
    { op: "x in 'text'", how: "print" },
    { op: "xs is containing(y)", how: "if" },
    { op: "x | upper", how: "if" },
    { op: "x | date", how: "if" },
    { op: "range(end=x)", how: "print" },
    { op: "__tera_context", how: "print" },
  ];
  for (const { op, how = "set" } of walks) {
    it(`\`${op}\` is charged for every walk`, () => {
      const use =
        how === "print" ? `{{ ${op} }}` : how === "if" ? `{% if ${op} %}{% endif %}` : `{% set r = ${op} %}`;
      const template = `${shared("x", 12)}${shared("y", 12)}{% set xs = [y] %}{% for i in range(end=200) %}${use}{% endfor %}`;
      const work = refusedAt(template, [op, "range(end=200)"], /too much work/, LIMITS);
      // The budget, overrun by at most one turn of the loop.
      assert.ok(work <= LIMITS.maxWork + 65_536, `${op}: ${work} units`);
    });
  }

  it("the issue's 60 doublings end with a located error, whatever walks them", () => {
    for (const op of ["x", "x | json_encode", "x == x", "x | length"]) {
      const template = `${shared("x", 60, "[1]")}{{ ${op} }}`;
      const work = refusedAt(template, ["[x, x]"], SIZE);
      assert.ok(work < 1000, `${op}: ${work} units`);
    }
  });
});

describe("the CLI with a hostile mirrord-up.yaml", () => {
  it("validate refuses a shared-value bomb at its position, exits 2 and runs nothing", () => {
    const work = tempDir();
    const bomb = `{% set_global x = [1] %}{% for i in range(end=60) %}{% set_global x = [x, x] %}{% endfor %}{{ x }}`;
    writeFileSync(join(work, "bomb.yaml"), `services:\n  a: {run: {command: [x]}}\n# ${bomb}\n`);
    const result = spawnSync(process.execPath, [...BIN_ARGS, "validate", "-f", "bomb.yaml", "-k", "k"], {
      cwd: work,
      env: { PATH: process.env.PATH },
      encoding: "utf8",
    });
    assert.equal(result.status, 2, result.stderr);
    const col = 2 + bomb.indexOf("[x, x]") + 1;
    assert.match(
      result.stderr,
      new RegExp(`bomb\\.yaml:3:${col}: error: template error: a value would hold more than`),
    );
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
  });

  it("validate reports the template error at its position, exits 2 and runs nothing", () => {
    const work = tempDir();
    const payload = `# {{ range.constructor("return ${run.replaceAll('"', "'")}")() }}\nservices:\n  a: {run: {command: [x]}}\n`;
    writeFileSync(join(work, "evil.yaml"), payload);
    const result = spawnSync(process.execPath, [...BIN_ARGS, "validate", "-f", "evil.yaml", "-k", "k"], {
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
