/**
 * `route`'s decisions, data-driven: test/fixtures/route/cases.json holds services as written in
 * mirrord-up.yaml, a request and the verdict per service, each case citing the mirrord 3.250.0
 * source line it pins. The configs go through the real plan (what `up` hands to mirrord, the
 * default session filter included), then through `decideRoute`.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { upConfigSchema } from "../src/config/schema.js";
import { fancyIsMatch } from "../src/core/fancy-match.js";
import { buildRunPlan } from "../src/plan/assemble.js";
import { decideRoute, type RouteAnswer, type RouteVerdict } from "../src/plan/route.js";

interface RouteCase {
  name: string;
  pins: string;
  key?: string;
  operator?: boolean;
  common?: Record<string, unknown>;
  only?: string[];
  services: Record<string, Record<string, unknown>>;
  request: { method: string; target: string; headers: [string, string][] };
  port?: number;
  expect: Record<string, RouteVerdict>;
  conflicts?: number;
  reasons?: Record<string, string>;
  summary?: string;
  /** Decided only by fancy-regex's backtracking matcher (look-around, back-references, its limit). */
  needsFancy?: true;
  /** What the real fancy-regex 0.14.0 answered for the (pattern, text) pairs such a case matches. */
  fancy?: { pattern: string; text: string; verdict: string }[];
}

const { cases } = JSON.parse(
  readFileSync(new URL("./fixtures/route/cases.json", import.meta.url), "utf8"),
) as { cases: RouteCase[] };

/** True while src/core/fancy-match.ts cannot run fancy-regex's own constructs. */
const fancyMissing = fancyIsMatch("(?=a)a", "a").verdict === "cannot-tell";

function answer(c: RouteCase): RouteAnswer {
  const services = Object.fromEntries(
    Object.entries(c.services).map(([name, service]) => [
      name,
      {
        run: { command: ["app"] },
        ...(!("target" in service) && !("run" in service) && { target: { path: `pod/${name}` } }),
        ...service,
      },
    ]),
  );
  const config = upConfigSchema.parse({ services, ...(c.common && { common: c.common }) });
  const plan = buildRunPlan(config, { key: c.key ?? "alice", services: [] });
  return decideRoute({
    services: plan.sessions.map((s) => ({
      name: s.name,
      config: s.mirrordConfig,
      inferTarget: s.inferTarget !== undefined,
      port: c.port ?? 80,
    })),
    only: c.only,
    request: {
      method: c.request.method,
      target: c.request.target,
      headers: c.request.headers.map(([name, value]) => ({ name, value })),
    },
    operator: c.operator,
  });
}

/** `file:a-b` cites `file:x-y` when the range x-y lies within a-b. */
function cites(source: string, pin: string): boolean {
  const split = (s: string) => {
    const m = /^(.+):(\d+)(?:-(\d+))?$/.exec(s);
    return m ? { file: m[1], from: Number(m[2]), to: Number(m[3] ?? m[2]) } : undefined;
  };
  const a = split(source);
  const b = split(pin);
  return a !== undefined && b !== undefined && a.file === b.file && a.from <= b.from && b.to <= a.to;
}

describe("route: which session gets the request, as mirrord's agent decides", () => {
  it("has at least 50 cases, each pinning a source line of mirrord 3.250.0", () => {
    assert.ok(cases.length >= 50, `${cases.length} cases`);
    for (const c of cases) assert.match(c.pins, /^mirrord\/[\w/-]+\.rs:\d+(-\d+)?$/, c.name);
  });

  for (const c of cases) {
    const skip =
      c.needsFancy && fancyMissing
        ? "needs fancy-regex's matcher (src/core/fancy-match.ts cannot tell yet)"
        : false;
    it(`${c.name} [${c.pins}]`, { skip }, () => {
      const got = answer(c);
      const verdicts = Object.fromEntries(
        got.services.filter((s) => s.service in c.expect).map((s) => [s.service, s.verdict]),
      );
      const why = JSON.stringify(got, null, 1);
      assert.deepEqual(verdicts, c.expect, why);
      if (c.conflicts !== undefined) assert.equal(got.conflicts.length, c.conflicts, why);
      for (const [service, text] of Object.entries(c.reasons ?? {})) {
        const reasons = got.services.find((s) => s.service === service)?.reasons ?? [];
        assert.ok(
          reasons.some((r) => r.text.includes(text)),
          `${service}: no reason says ${JSON.stringify(text)}\n${why}`,
        );
      }
      if (c.summary !== undefined) assert.equal(got.summary, c.summary);
      const sources = [
        ...got.services.flatMap((s) => s.reasons.map((r) => r.source)),
        ...got.conflicts.map((x) => x.source),
      ];
      assert.ok(
        sources.some((s) => cites(s, c.pins)),
        `the answer cites no source covering ${c.pins}: ${[...new Set(sources)].join(", ")}`,
      );
    });
  }

  it("the matcher gives the real fancy-regex's verdicts on the fancy cases' patterns", {
    skip: fancyMissing && "needs fancy-regex's matcher",
  }, () => {
    for (const c of cases.filter((x) => x.needsFancy)) {
      assert.ok(c.fancy && c.fancy.length > 0, `${c.name} records fancy-regex's verdicts`);
      for (const { pattern, text, verdict } of c.fancy)
        assert.equal(fancyIsMatch(pattern, text).verdict, verdict, c.name);
    }
  });

  it("while the matcher cannot run a fancy pattern, its cases answer cannot tell", {
    skip: !fancyMissing,
  }, () => {
    for (const c of cases.filter((x) => x.needsFancy)) {
      const [service] = Object.keys(c.expect) as [string];
      const got = answer(c).services.find((s) => s.service === service);
      assert.equal(got?.verdict, "cannot-tell", c.name);
      assert.ok(
        got?.reasons.some((r) => r.text.includes("needs fancy-regex's backtracking matcher")),
        c.name,
      );
    }
  });
});
