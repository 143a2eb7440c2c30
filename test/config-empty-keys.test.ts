/**
 * Keys written with nothing after them (`env:`, every entry commented out), as `~`/`null`, or as
 * an empty value, at every key of the schema: accepted or refused as upstream's serde_yaml 0.9
 * reads them into upstream's types, and read as the same value. The verdicts were produced by the
 * real serde_yaml (`test/fixtures/serde-yaml/`, see its README).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { judge, refusalIds } from "./helpers/differences.js";

interface Case {
  name: string;
  at: string[];
  yaml: string;
  ext?: true;
}
type Verdict = { ok: true; config: unknown } | { ok: false; error: string };

const fixtures = new URL("./fixtures/serde-yaml/", import.meta.url);
const { cases } = JSON.parse(readFileSync(new URL("empty-keys.json", fixtures), "utf8")) as { cases: Case[] };
const verdicts = JSON.parse(readFileSync(new URL("empty-keys-verdicts.json", fixtures), "utf8")) as Record<
  string,
  Verdict
>;

/**
 * Cases upstream reads and mirrord-up refuses: the id of the row of docs/differences.md that says
 * why. The test checks that upstream does read them and mirrord-up does refuse them.
 */
const REFUSED: Record<string, string> = {
  "common.context/empty-quoted": "empty-context",
  "context/empty-quoted": "empty-context",
  "target.namespace/empty-quoted": "empty-namespace",
  "env.include/empty-quoted": "env-name",
  "env.exclude/empty-quoted": "env-name",
  "env.unset/empty-quoted": "env-name",
  "http_filter.all_of/empty-flow-sequence": "empty-composite",
  "http_filter.any_of/empty-flow-sequence": "empty-composite",
  "run.command/bare": "empty-command",
};

/**
 * Read by upstream's serde_yaml, then refused by upstream too: a file with no services ends in
 * "no services to run" (upstream's `select_services`); mirrord-up says so while reading it.
 */
const REFUSED_LATER_UPSTREAM = new Set([
  "services/empty",
  "services/commented-out",
  "services/empty-flow-mapping",
]);

/** Upstream's defaults, which its parsed value carries and mirrord-up applies later. */
const DEFAULTS: Record<string, unknown> = { skip: false, default_mode: "split", "run.type": "exec" };

/** Empty lists and objects, and objects whose every field is null, are "not set". */
function normal(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) return value.length === 0 ? null : value.map(normal);
  if (typeof value === "object") {
    const entries = Object.entries(value)
      .map(([k, v]) => [k, normal(v)] as const)
      .filter(([, v]) => v !== null);
    return entries.length === 0 ? null : Object.fromEntries(entries);
  }
  return value;
}

const valueAt = (data: unknown, path: string[]) =>
  path.reduce<unknown>((acc, key) => (acc as Record<string, unknown> | undefined)?.[key], data);

describe("empty keys, as upstream's serde_yaml 0.9 reads them", () => {
  it("the corpus is whole: a verdict for every case, and every refusal a row of the differences page", () => {
    assert.ok(cases.length > 250);
    for (const c of cases) assert.ok(verdicts[c.name], `no verdict for ${c.name}`);
    const ids = refusalIds();
    for (const id of Object.values(REFUSED))
      assert.ok(ids.includes(id), `docs/differences.md has no row ${id}`);
  });

  it("`env: ~` is refused in words that say what to write instead, at the value", () => {
    const got = judge("services:\n  api:\n    env: ~\n    run: {command: [app]}\n");
    assert.ok(!got.ok);
    assert.deepEqual(
      got.diagnostics.map((d) => [d.line, d.col, d.message, d.hint]),
      [
        [
          3,
          10,
          "services.api.env: `~` is not an empty `env` (upstream refuses it too)",
          "write nothing after `env:`, or leave the key out",
        ],
      ],
    );
  });

  for (const c of cases) {
    it(c.name, () => {
      const upstream = verdicts[c.name]!;
      const got = judge(c.yaml);
      const shown = `${c.yaml}\nupstream: ${JSON.stringify(upstream)}\nmirrord-up: ${JSON.stringify(got)}`;
      if (c.ext) {
        // mirrord-up's own keys: upstream's rule for `Option<T>`, nothing means "not set".
        assert.ok(got.ok, shown);
        assert.equal(valueAt(got.config, c.at), undefined, shown);
        return;
      }
      if (REFUSED[c.name] || REFUSED_LATER_UPSTREAM.has(c.name)) {
        assert.ok(upstream.ok && !got.ok, shown);
        return;
      }
      assert.equal(got.ok, upstream.ok, shown);
      if (got.ok && upstream.ok) {
        const key = c.at.slice(2).join(".");
        const mine = valueAt(got.config, c.at) ?? DEFAULTS[key];
        assert.deepEqual(normal(mine), normal(valueAt(upstream.config, c.at)), shown);
      } else if (!got.ok) {
        // Refused as upstream refuses, each problem at file:line:col.
        for (const d of got.diagnostics) assert.ok(d.line && d.col, `${shown}\nno position: ${d.message}`);
      }
    });
  }
});
