/**
 * Conformance of our Tera engine with the real Tera: every case of test/fixtures/tera/cases.json
 * must render exactly as upstream's Tera rendered it into expected.json (see the README there).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { renderTera, type TeraOptions, type TeraResult, type TeraValue } from "../src/template/index.js";

interface Case {
  name: string;
  template: string;
  context: Record<string, TeraValue>;
  /** Only on nondeterministic cases (now, get_random): a regex the whole output must match. */
  matches?: string;
}

type Expectation =
  | { ok: true; text: string }
  | { ok: true; nondeterministic: true }
  | { ok: false; error: string; line?: number; col?: number };

function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/tera/${name}`, import.meta.url), "utf8")) as T;
}

const corpus = readFixture<{ env: Record<string, string>; cases: Case[] }>("cases.json");
const expected = readFixture<Record<string, Expectation>>("expected.json");

/** A fixed clock and random source, so that only `matches` cases depend on them at all. */
const baseOptions: TeraOptions = {
  env: corpus.env,
  now: () => new Date("2024-05-01T12:34:56.789Z"),
  random: () => 0.5,
};

/** Random sources at both ends of [0, 1) and in between: `get_random` must stay in its bounds. */
const randomSources = [() => 0, () => 0.5, () => 0.999_999_999];

function describeResult(result: TeraResult): string {
  return result.ok
    ? `rendered ${JSON.stringify(result.text)}`
    : `failed: ${result.errors.map((e) => `${e.line}:${e.col} ${e.message}`).join("; ")}`;
}

for (const c of corpus.cases) {
  test(c.name, () => {
    const want = expected[c.name];
    assert.ok(want, `no expectation for ${c.name}: run test/fixtures/tera/regenerate.sh`);

    if (!want.ok) {
      const result = renderTera(c.template, c.context, baseOptions);
      assert.equal(
        result.ok,
        false,
        `Tera fails with ${JSON.stringify(want.error)}, we ${describeResult(result)}`,
      );
      if (result.ok || want.line === undefined) return;
      const first = result.errors[0];
      assert.ok(first, "a failed render reports at least one error");
      // Tera reports where its parser stopped (pest's ` --> line:col`, 1-based, col in characters).
      assert.deepEqual(
        { line: first.line, col: first.col },
        { line: want.line, col: want.col },
        `position of the parse error; Tera says:\n${want.error}`,
      );
      return;
    }

    if ("nondeterministic" in want) {
      assert.ok(c.matches, `${c.name} is nondeterministic but has no \`matches\` pattern`);
      const pattern = new RegExp(c.matches);
      for (const random of randomSources) {
        const result = renderTera(c.template, c.context, { ...baseOptions, random });
        assert.ok(result.ok, `Tera renders it, we ${describeResult(result)}`);
        assert.match(result.text, pattern);
      }
      return;
    }

    const result = renderTera(c.template, c.context, baseOptions);
    assert.ok(result.ok, `Tera renders ${JSON.stringify(want.text)}, we ${describeResult(result)}`);
    assert.equal(result.text, want.text);
  });
}
