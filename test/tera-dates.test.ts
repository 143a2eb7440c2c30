/**
 * Tera's `date` filter with named time zones, date-only and naive inputs, and leap seconds, as
 * the real Tera with chrono-tz 0.9.0 (upstream's) renders them: `test/fixtures/tera-dates/`
 * (generator and how it was built in its README).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { renderTera, type TeraValue } from "../src/template/index.js";

interface Case {
  name: string;
  template: string;
  context: Record<string, TeraValue>;
}
type Expectation = { ok: true; text: string } | { ok: false; error: string };

const fixtures = new URL("./fixtures/tera-dates/", import.meta.url);
const read = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, fixtures), "utf8")) as T;
const { cases } = read<{ cases: Case[] }>("cases.json");
const expected = read<Record<string, Expectation>>("expected.json");

/**
 * Offsets come from the platform's tz database (Node 20.20: 2025c), which is newer than chrono-tz
 * 0.9's 2024a: where a zone's rules changed since, mirrord-up prints the current rules (a row of
 * docs/differences.md). These cases must still render.
 */
const RULES_CHANGED_SINCE_2024A: Record<string, string> = {
  "zone/America/Asuncion/2099-07": "Paraguay keeps -03 all year from October 2024 (tz 2024b)",
};

for (const c of cases) {
  test(c.name, () => {
    const want = expected[c.name];
    assert.ok(want, `no expectation for ${c.name}: run test/fixtures/tera-dates/generate.sh`);
    const got = renderTera(c.template, c.context, { env: {} });
    const shown = `${c.template} with ${JSON.stringify(c.context)}`;
    if (RULES_CHANGED_SINCE_2024A[c.name] && want.ok) {
      assert.ok(got.ok, `${shown}: ${JSON.stringify(got)}`);
      return;
    }
    if (want.ok) {
      assert.ok(
        got.ok,
        `${shown}: Tera renders ${JSON.stringify(want.text)}, we fail: ${JSON.stringify(got)}`,
      );
      assert.equal(got.text, want.text, shown);
    } else {
      assert.equal(got.ok, false, `${shown}: Tera fails with ${JSON.stringify(want.error)}, we render`);
    }
  });
}
