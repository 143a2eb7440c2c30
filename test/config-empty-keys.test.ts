/**
 * Keys written with nothing after them (`env:`, every entry commented out), as `~`/`null`, or as
 * an empty value, at every key of the schema: accepted or refused as upstream's serde_yaml 0.9
 * reads them into upstream's types, and read as the same value. The verdicts were produced by the
 * real serde_yaml (`test/fixtures/empty-keys/`, see its README).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { loadConfig } from "../src/config/load.js";
import { UserError } from "../src/core/errors.js";
import { withConfig } from "./helpers/tmp.js";

interface Case {
  name: string;
  at: string[];
  yaml: string;
  ext?: true;
}
type Verdict = { ok: true; config: unknown } | { ok: false; error: string };

const fixtures = new URL("./fixtures/empty-keys/", import.meta.url);
const { cases } = JSON.parse(readFileSync(new URL("cases.json", fixtures), "utf8")) as { cases: Case[] };
const verdicts = JSON.parse(readFileSync(new URL("verdicts.json", fixtures), "utf8")) as Record<
  string,
  Verdict
>;

/**
 * Cases upstream accepts and mirrord-up refuses, each a row of docs/differences.md: the test
 * checks that upstream does accept them and mirrord-up does refuse them.
 */
const REFUSED: Record<string, string> = {
  "common.context/empty-quoted": "an empty `context`",
  "context/empty-quoted": "an empty `context`",
  "target.namespace/empty-quoted": "an empty `target.namespace`",
  "env.include/empty-quoted": "an empty variable name",
  "env.exclude/empty-quoted": "an empty variable name",
  "env.unset/empty-quoted": "an empty variable name",
  "http_filter.all_of/empty-flow-sequence": "an empty `all_of`/`any_of`",
  "http_filter.any_of/empty-flow-sequence": "an empty `all_of`/`any_of`",
  "run.command/bare": "an empty `run.command`",
  // Upstream reads an empty `services` and then stops: no service to run.
  "services/empty": "no services",
  "services/commented-out": "no services",
  "services/empty-flow-mapping": "no services",
};

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

function ours(yaml: string) {
  try {
    const loaded = loadConfig({ file: "mirrord-up.yaml", cwd: withConfig(yaml), key: "k", env: {} });
    return { ok: true as const, config: loaded.config as unknown };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { ok: false as const, diagnostics: error.diagnostics };
  }
}

describe("empty keys, as upstream's serde_yaml 0.9 reads them", () => {
  it("the corpus is whole: a verdict for every case", () => {
    assert.ok(cases.length > 250);
    for (const c of cases) assert.ok(verdicts[c.name], `no verdict for ${c.name}`);
  });

  for (const c of cases) {
    it(c.name, () => {
      const upstream = verdicts[c.name]!;
      const got = ours(c.yaml);
      const shown = `${c.yaml}\nupstream: ${JSON.stringify(upstream)}\nmirrord-up: ${JSON.stringify(got)}`;
      if (c.ext) {
        // mirrord-up's own keys: upstream's rule for `Option<T>`, nothing means "not set".
        assert.ok(got.ok, shown);
        assert.equal(valueAt(got.config, c.at), undefined, shown);
        return;
      }
      if (REFUSED[c.name]) {
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
