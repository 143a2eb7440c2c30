/**
 * The Tera engine (src/template): syntax, whitespace control, Tera's value rules, errors with
 * positions, and the bounds. Outputs were checked against the real Tera (1.17 from Debian's
 * crates, and 1.20's sources where the two differ); the full comparison is
 * test/tera-conformance.test.ts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderTera, type TeraOptions, type TeraValue } from "../src/template/index.js";

function render(template: string, context: Record<string, TeraValue> = {}, options?: TeraOptions): string {
  const result = renderTera(template, context, options);
  assert.ok(result.ok, `expected a render, got ${JSON.stringify(result)}`);
  return result.text;
}

function errors(template: string, context: Record<string, TeraValue> = {}, options?: TeraOptions) {
  const result = renderTera(template, context, options);
  assert.ok(!result.ok, `expected an error, got ${JSON.stringify(result)}`);
  assert.ok(result.errors.length > 0, "a failed render has at least one error");
  return result.errors;
}

describe("filters behave as Tera's, not as other engines'", () => {
  it("replace, truncate, title, split and slugify on a dotted key", () => {
    const key = { key: "a.b-c" };
    assert.equal(render('{{ key | replace(from=".", to="-") }}', key), "a-b-c");
    assert.equal(render("{{ key | truncate(length=3) }}", key), "a.b…");
    assert.equal(render("{{ key | title }}", key), "A.B-C");
    assert.equal(render('{{ key | split(pat="-") | first }}', key), "a.b");
    assert.equal(render("{{ key | slugify }}", key), "a-b-c");
  });

  it("filter arguments are keyword-only: a positional one is a syntax error at the argument", () => {
    const [error] = errors("{{ x | default('y') }}");
    assert.deepEqual([error!.line, error!.col], [1, 16]);
  });

  it("default applies to a missing or null variable, only as the first filter", () => {
    assert.equal(render("{{ missing | default(value='d') }}"), "d");
    assert.equal(render("{{ n | default(value='d') }}", { n: null }), "d");
    assert.equal(render("[{{ e | default(value='d') }}]", { e: "" }), "[]");
    assert.equal(
      errors("{{ missing | upper | default(value='d') }}")[0]!.message,
      "Variable `missing` not found in context",
    );
  });
});

describe("values: integers, floats and Tera's printing", () => {
  it("prints whole floats without a fraction, but JSON keeps it", () => {
    assert.equal(render("{{ 5.0 }} {{ 5.0 | json_encode }} {{ 2.5 * 2 }}"), "5 5.0 5");
  });

  it("divides into an integer when exact, a float otherwise, and NaN for nothing", () => {
    assert.equal(render("{{ 10 / 2 }} {{ 7 / 2 }} {{ 1 / 0 }}"), "5 3.5 NaN");
  });

  it("integer overflow is an error, located at the operator", () => {
    const [error] = errors("{{ 9223372036854775807 + 1 }}");
    assert.equal(error!.message, "9223372036854775807 + 1 results in an out of bounds i64");
    assert.equal(error!.col, 24);
  });

  it("a number never equals a string, and `!=` between them is false too (as Tera)", () => {
    assert.equal(render('{{ 1 == "1" }} {{ 1 != "1" }} {{ 1 == 1.0 }}'), "false false true");
  });

  it("objects keep the order of their keys", () => {
    assert.equal(render("{% for k, v in o %}{{ k }}{% endfor %}", { o: { zeta: 1, alpha: 2 } }), "zetaalpha");
  });
});

describe("statements", () => {
  it("if / elif / else, with `and`, `or`, `not`, `in` and tests", () => {
    const t = "{% if n is odd and not done %}odd{% elif 'b' in xs %}b{% else %}else{% endif %}";
    assert.equal(render(t, { n: 3, done: false, xs: [] }), "odd");
    assert.equal(render(t, { n: 2, done: false, xs: ["b"] }), "b");
    assert.equal(render(t, { n: 2, done: true, xs: [] }), "else");
  });

  it("for loops: loop variables, else, break and continue", () => {
    const t =
      "{% for x in xs %}{% if x == 4 %}{% break %}{% endif %}{% if x == 2 %}{% continue %}{% endif %}" +
      "{{ loop.index }}{{ x }}{% if loop.last %}!{% endif %},{% endfor %}";
    assert.equal(render(t, { xs: [1, 2, 3, 4, 5] }), "11,33,");
    assert.equal(render("{% for x in xs %}{{ x }}{% else %}none{% endfor %}", { xs: [] }), "none");
  });

  it("set is local to a loop iteration; set_global reaches the template", () => {
    const t =
      "{% set_global total = 0 %}{% for x in xs %}{% set double = x * 2 %}{% set_global total = total + double %}{% endfor %}" +
      "{{ total }} {{ double | default(value='gone') }}";
    assert.equal(render(t, { xs: [1, 2, 3] }), "12 gone");
  });

  it("macros of the same file, with defaults and recursion through self::", () => {
    const t =
      "{% macro fact(n, sep='*') %}{% if n > 1 %}{{ n }}{{ sep }}{{ self::fact(n=n - 1, sep=sep) }}{% else %}1{% endif %}{% endmacro fact %}" +
      "{{ self::fact(n=4) }}";
    assert.equal(render(t), "4*3*2*1");
  });

  it("a macro does not see variables set outside it, only the context", () => {
    const t =
      "{% macro m() %}{{ key }}{{ local | default(value='-') }}{% endmacro %}{% set local = 1 %}{{ self::m() }}";
    assert.equal(render(t, { key: "k" }), "k-");
  });

  it("filter sections apply a filter to their body", () => {
    assert.equal(render("{% filter upper %}hi {{ name }}{% endfilter %}", { name: "bo" }), "HI BO");
  });

  it("raw blocks keep template syntax; comments vanish", () => {
    assert.equal(render("{% raw %}{{ not a var }}{% endraw %}{# gone #}"), "{{ not a var }}");
  });
});

describe("whitespace control", () => {
  it("`-` trims the whitespace on its side of a tag, newlines included", () => {
    assert.equal(render("a  \n  {{- x -}}  \n  b", { x: 1 }), "a1b");
    assert.equal(render("{% for x in xs -%}\n  {{ x }}\n{%- endfor %}", { xs: [1, 2] }), "12");
    assert.equal(render("[\n{%- if true %} yes {% endif -%}\n]"), "[ yes ]");
  });

  it("without `-`, the newlines around tags stay", () => {
    assert.equal(render("{% if true %}\nyes\n{% endif %}\n"), "\nyes\n\n");
  });
});

describe("functions", () => {
  it("get_env reads only the given environment, with a default for a missing variable", () => {
    const env = { env: { GREETING: "hi" } };
    assert.equal(
      render("{{ get_env(name='GREETING') }} {{ get_env(name='NOPE', default='d') }}", {}, env),
      "hi d",
    );
    const [error] = errors("{{ get_env(name='HOME') }}");
    assert.equal(error!.message, "Environment variable `HOME` not found");
  });

  it("now and get_random use the given clock and random source", () => {
    const options = { now: () => new Date("2024-05-01T12:34:56Z"), random: () => 0.5 };
    assert.equal(
      render("{{ now(timestamp=true) }} {{ now(utc=true) }}", {}, options),
      "1714566896 2024-05-01T12:34:56+00:00",
    );
    assert.equal(render("{{ get_random(start=10, end=20) }}", {}, options), "15");
  });

  it("range and the date filter", () => {
    assert.equal(render("{{ range(start=1, end=10, step_by=4) }}"), "[1, 5, 9]");
    assert.equal(render("{{ 1700000000 | date(format='%Y-%m-%d %H:%M') }}"), "2023-11-14 22:13");
  });

  it("matching uses Rust's regex syntax", () => {
    const branch = { branch: "feat-1" };
    assert.equal(
      render("{{ branch is matching('^feat-\\d+$') }} {{ branch is matching('(?i)FEAT') }}", branch),
      "true true",
    );
  });
});

describe("errors are located in the template", () => {
  it("a syntax error points where Tera's parser stops", () => {
    const [error] = errors("line one\n  {{ key }");
    assert.deepEqual([error!.line, error!.col], [2, 10]);
  });

  it("columns count characters, not bytes or UTF-16 units", () => {
    const [error] = errors("😀 {{ x }");
    assert.equal(error!.col, 8);
  });

  it("an undefined variable points at the variable", () => {
    const [error] = errors("a: {{ 'x' ~ missing.field }}");
    assert.deepEqual(
      [error!.line, error!.col, error!.message],
      [1, 13, "Variable `missing.field` not found in context"],
    );
  });

  it("every failing {{ }} at the top level is reported, not only the first", () => {
    const found = errors("{{ a }}\n{{ b | upper }}\n{{ key | nope }}", { key: "k" });
    assert.deepEqual(
      found.map((e) => [e.line, e.col, e.message]),
      [
        [1, 4, "Variable `a` not found in context"],
        [2, 4, "Variable `b` not found in context"],
        [3, 10, "Filter 'nope' not found"],
      ],
    );
  });

  it("an error in a condition stops there, as later output depends on it", () => {
    const found = errors("{% if missing > 1 %}{{ a }}{% endif %}{{ b }}");
    assert.equal(found.length, 1);
    assert.equal(found[0]!.col, 7);
  });

  it("include, extends and import need other files and are refused", () => {
    assert.match(errors('{% include "other.yaml" %}')[0]!.message, /only this one file is rendered/);
    assert.match(errors('{% extends "base.yaml" %}')[0]!.message, /only this one file is rendered/);
    assert.match(errors('{% import "m.yaml" as m %}')[0]!.message, /only this one file is rendered/);
    assert.equal(render('{% include "other.yaml" ignore missing %}ok'), "ok");
  });
});

describe("bounds", () => {
  it("too many loop iterations in total is an error at the loop", () => {
    const t = "{% for a in range(end=1000) %}{% for b in range(end=1001) %}{% endfor %}{% endfor %}";
    const [error] = errors(t);
    assert.match(error!.message, /loops would run more than 1000000 times/);
  });

  it("output over 8 MiB is an error", () => {
    const t = "{% for a in range(end=1000) %}{% for b in range(end=900) %}0123456789{% endfor %}{% endfor %}";
    assert.match(errors(t)[0]!.message, /larger than 8 MiB/);
  });

  it("a string that doubles in a loop is stopped before it gets big", () => {
    const t = "{% set_global s = 'ab' %}{% for i in range(end=64) %}{% set_global s = s ~ s %}{% endfor %}";
    assert.match(errors(t)[0]!.message, /larger than 8 MiB/);
  });

  it("a huge range is refused instead of built", () => {
    assert.match(errors("{{ range(end=100000000) | length }}")[0]!.message, /more than 1000000 numbers/);
    assert.match(errors("{{ range(end=10, step_by=0) }}")[0]!.message, /more than 1000000 numbers/);
  });

  it("endless macro recursion is an error, not a stack overflow", () => {
    const [error] = errors("{% macro f() %}{{ self::f() }}{% endmacro %}{{ self::f() }}");
    assert.match(error!.message, /nest more than 200 deep/);
  });

  it("absurd nesting in an expression is a parse error, not a crash", () => {
    const t = `{{ ${"(".repeat(5000)}1${")".repeat(5000)} }}`;
    assert.match(errors(t)[0]!.message, /nests too deeply/);
  });
});
