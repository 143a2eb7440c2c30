/**
 * The regex crate's 10 MiB limit on a compiled program, as mirrord meets it: every pattern of
 * test/fixtures/regex/size-patterns.jsonl against the verdict the real fancy-regex 0.14.0 gave
 * on a 64-bit machine (size-verdicts.jsonl). mirrord-up checks in 32-bit WebAssembly, where the
 * same program counts fewer bytes, so near the limit it cannot always tell (config/rust-regex.ts):
 * what mirrord rejects is rejected or warned about, never silently accepted; what mirrord accepts
 * is never rejected; far from the limit the verdict is exact.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  checkFancyRegex,
  checkFilterRegex,
  fancyRegexSizeWarning,
  filterRegexSizeWarning,
} from "../src/config/rust-regex.js";
import { buildRunPlan } from "../src/plan/assemble.js";
import { REPO_ROOT } from "./helpers/paths.js";

interface Verdict {
  pattern: string;
  plain: string | null;
  agent: string | null;
}

const FIXTURES = join(REPO_ROOT, "test", "fixtures", "regex");
const dataLines = (file: string) =>
  readFileSync(join(FIXTURES, file), "utf8")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("//"));
const verdicts: Verdict[] = dataLines("size-verdicts.jsonl").map((line) => JSON.parse(line));

type Ours = "accept" | "warn" | "reject";

/** What mirrord-up says of a pattern: as written (`plain`) or as a filter (as written and with `(?i)`). */
function ours(pattern: string, as: "plain" | "filter"): Ours {
  const problem = as === "plain" ? checkFancyRegex(pattern) : checkFilterRegex(pattern);
  if (problem !== undefined) return "reject";
  return (as === "plain" ? fancyRegexSizeWarning(pattern) : filterRegexSizeWarning(pattern))
    ? "warn"
    : "accept";
}

describe("regexes too large for mirrord are never accepted silently", () => {
  it("the verdict table was generated from the current pattern list", () => {
    const patterns = dataLines("size-patterns.jsonl").map((line) => JSON.parse(line) as string);
    assert.deepEqual(
      verdicts.map((v) => v.pattern),
      patterns,
    );
  });

  it("every size verdict of the real fancy-regex is met: rejected or warned when it rejects, never rejected when it accepts", () => {
    const wrong: string[] = [];
    const tally = { exact: 0, warned: 0 };
    for (const v of verdicts) {
      const real: Record<"plain" | "filter", boolean> = {
        plain: v.plain === null,
        filter: v.plain === null && v.agent === null,
      };
      for (const as of ["plain", "filter"] as const) {
        const got = ours(v.pattern, as);
        if (real[as] ? got === "reject" : got === "accept")
          wrong.push(`${v.pattern} (${as}): mirrord ${real[as] ? "accepts" : "rejects"}, we ${got}`);
        if (got === "warn") tally.warned += 1;
        else tally.exact += 1;
      }
    }
    assert.deepEqual(wrong, []);
    // Far from the limit (\w{100}, \w{420}) the verdict is exact; near it, a warning.
    assert.ok(tally.exact >= 4, JSON.stringify(tally));
  });

  it("the issue's `x-token: \\w{256}` gets a warning in the plan that validate, config and up print", () => {
    const plan = buildRunPlan(
      {
        services: {
          api: {
            run: { command: ["x"] },
            http_filter: { header_filter: "x-token: \\w{256}" },
            env: { mapping: { "^A_\\w{3}$": "v" } },
          },
        },
      },
      { key: "k", services: [] },
    );
    assert.deepEqual(
      plan.warnings.map((w) => `${w.service}: ${w.message.split(":").slice(0, 2).join(":")}`),
      ["api: http_filter.header_filter: mirrord may reject this pattern as too large"],
    );
  });
});
