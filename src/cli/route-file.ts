/** `mirrord-up route` without a running `up`: the file's plans, as `up` would build them. Heavy: it loads the file. */
import { PlanError } from "../plan/problems.js";
import type { RouteAnswer } from "../plan/route.js";
import { type RouteQuery, routeForPlans } from "../plan/route-plan.js";
import type { CliIO } from "./io.js";
import { type ConfigFlags, prepare, toUserError } from "./prepare.js";

/**
 * The services `up` would run (those not marked `skip`, and the named ones), their mirrord.json
 * rendered with the key; targets to infer stay unknown (the cluster is not asked).
 */
export function routeFromFile(flags: ConfigFlags, query: RouteQuery, io: CliIO): RouteAnswer {
  let prepared = prepare(flags, [], io);
  const missing = query.services.filter((name) => !prepared.plan.sessions.some((s) => s.name === name));
  if (missing.length > 0) {
    const names = [...prepared.plan.sessions.map((s) => s.name), ...missing];
    prepared = prepare(flags, names, io);
  }
  try {
    return routeForPlans(prepared.plan.sessions, query);
  } catch (error) {
    if (error instanceof PlanError) throw toUserError(error, prepared.loaded);
    throw error;
  }
}
