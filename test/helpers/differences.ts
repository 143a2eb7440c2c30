import { readFileSync } from "node:fs";
import { loadConfig } from "../../src/config/load.js";
import { type Diagnostic, UserError } from "../../src/core/errors.js";
import { buildRunPlan } from "../../src/plan/assemble.js";
import { withConfig } from "./tmp.js";

/**
 * The ids of docs/differences.md's "Inputs upstream reads and mirrord-up refuses": the first
 * cell of each row, in backticks.
 */
export function refusalIds(): string[] {
  const page = readFileSync(new URL("../../docs/differences.md", import.meta.url), "utf8");
  const start = page.indexOf("**Inputs upstream reads and mirrord-up refuses**");
  const end = page.indexOf("\n**", start + 1);
  if (start < 0 || end < 0) throw new Error("docs/differences.md has no list of refused inputs");
  return [...page.slice(start, end).matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1]!);
}

/** What `mirrord-up validate` decides on a file's text, short of the cluster: read, then plan. */
export function judge(
  yaml: string,
): { ok: true; config: unknown } | { ok: false; diagnostics: Diagnostic[] } {
  try {
    const { config } = loadConfig({ file: "mirrord-up.yaml", cwd: withConfig(yaml), key: "k", env: {} });
    buildRunPlan(config, { key: "k", services: [] });
    return { ok: true, config };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return { ok: false, diagnostics: error.diagnostics };
  }
}
