/**
 * How the run's lines name what they count (docs/how-it-works.md, "Services and sessions"): a
 * *session* is a mirrord session, a *service* any entry of `services:`. A count that includes a
 * local service (`run.type: local`, no mirrord) says services; one of mirrord sessions alone
 * says sessions.
 */
import type { RunType } from "../plan/assemble.js";

/** `1 session`, `3 services`: what a line counts, named by the rule above. */
export function countOf(plans: readonly { type: RunType }[]): string {
  const noun = plans.every((p) => p.type !== "local") ? "session" : "service";
  return `${plans.length} ${noun}${plans.length === 1 ? "" : "s"}`;
}
