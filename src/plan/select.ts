/**
 * Which services run: the named ones (overriding `skip`), or every service not marked
 * `skip: true`. Names are returned sorted so that start order, colours and output are stable.
 */
import type { UpConfig } from "../config/schema.js";
import { suggest } from "../core/suggest.js";
import { PlanError, type PlanProblem } from "./problems.js";

export function selectServices(config: UpConfig, requested: readonly string[]): string[] {
  const available = Object.keys(config.services).sort();
  if (requested.length > 0) {
    const problems: PlanProblem[] = [];
    for (const name of requested) {
      if (available.includes(name)) continue;
      const close = suggest(name, available);
      problems.push({
        message: `unknown service "${name}"`,
        hint: `${close ? `did you mean "${close}"? ` : ""}available services: ${available.join(", ")}`,
      });
    }
    if (problems.length > 0) throw new PlanError(problems);
    return [...new Set(requested)].sort();
  }
  const selected = available.filter((name) => config.services[name]?.skip !== true);
  if (selected.length === 0) {
    throw new PlanError([
      {
        path: ["services"],
        message: "no services to launch: every service is marked `skip: true`",
        hint: `name the ones to run, e.g. mirrord-up ${available[0] ?? "<service>"}`,
      },
    ]);
  }
  return selected;
}
