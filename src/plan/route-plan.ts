/**
 * A run's plans and a `route` question -> the answer: which services to answer for, and the port
 * the request arrives on at each one's target. Shared by `mirrord-up route` on a file and by the
 * running `up`'s `POST /v1/route`. Pure.
 */
import { suggest } from "../core/suggest.js";
import type { SessionPlan } from "./assemble.js";
import { PlanError, type PlanProblem } from "./problems.js";
import { decideRoute, type RouteAnswer, type RouteRequest } from "./route.js";

export interface RouteQuery {
  /** The services to answer for; every mirrord session of the run when empty. */
  services: readonly string[];
  request: RouteRequest;
  /** The port the request arrives on at the target; else each service's own (`knownPort`). */
  port?: number;
  /** `--operator` / `--no-operator`; else each config's `operator`. */
  operator?: boolean;
}

/** RFC 9110's token: a method or a header name. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** What makes `request` one the agent never sees as such (hyper refuses it), one problem each. */
export function requestProblems(request: RouteRequest): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const { method, target } = request;
  if (!TOKEN.test(method)) problems.push({ message: `${JSON.stringify(method)} is not an HTTP method` });
  if (!target.startsWith("/")) {
    problems.push({
      message: `${JSON.stringify(target)}: the path starts with /`,
      hint: "e.g. 'GET /users?id=7'",
    });
  } else if (!/^[\x21-\x7e]*$/.test(target)) {
    problems.push({
      message: `${JSON.stringify(target)}: a request target is visible ASCII only`,
      hint: "percent-encode other characters (é is %C3%A9, a space %20)",
    });
  } else if (target.includes("#")) {
    problems.push({
      message: `${JSON.stringify(target)}: a request does not carry the #fragment`,
      hint: "leave it out",
    });
  }
  for (const { name, value } of request.headers) {
    if (!TOKEN.test(name)) problems.push({ message: `${JSON.stringify(name)} is not a header name` });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
    else if (/[\0-\x08\x0a-\x1f\x7f]/.test(value)) {
      problems.push({
        message: `header ${name}: the value has a control character, which HTTP does not allow`,
      });
    }
  }
  return problems;
}

export function routeForPlans(plans: readonly SessionPlan[], query: RouteQuery): RouteAnswer {
  const known = plans.map((p) => p.name);
  const problems: PlanProblem[] = requestProblems(query.request);
  for (const name of query.services) {
    if (known.includes(name)) continue;
    const close = suggest(name, known);
    problems.push({
      message: `unknown service "${name}"`,
      hint: `${close ? `did you mean "${close}"? ` : ""}services: ${known.join(", ")}`,
    });
  }
  const only =
    query.services.length > 0
      ? [...new Set(query.services)]
      : plans.filter((p) => p.mirrordConfig).map((p) => p.name);
  const ports = new Map<string, number | undefined>();
  for (const plan of plans) {
    const port = query.port !== undefined ? { port: query.port, why: "" } : knownPort(plan);
    ports.set(plan.name, port.port);
    if (port.port === undefined && only.includes(plan.name) && needsPort(plan)) {
      problems.push({
        message: `which port does the request arrive on at ${plan.name}? ${port.why}`,
        hint: "pass --port N: the port at the target (the pod's port, which the local process listens on)",
      });
    }
  }
  if (problems.length > 0) throw new PlanError(problems);
  return decideRoute({
    services: plans.map((plan) => ({
      name: plan.name,
      config: plan.mirrordConfig,
      inferTarget: plan.inferTarget !== undefined,
      port: ports.get(plan.name),
    })),
    only,
    request: query.request,
    operator: query.operator,
  });
}

/** A session that steals from a target: its port decides the answer. */
function needsPort(plan: SessionPlan): boolean {
  const config = plan.mirrordConfig;
  return (
    config?.feature.network.incoming.mode === "steal" &&
    (plan.inferTarget !== undefined || !!config.target?.path)
  );
}

/**
 * A service's port when the file says it: `ready_when.port`, the port of `ready_when.http`, or the
 * one port of `http_filter.ports`.
 */
function knownPort(plan: SessionPlan): { port: number | undefined; why: string } {
  const check = plan.lifecycle.readyWhen?.check;
  if (check?.kind === "port") return { port: check.port, why: "" };
  if (check?.kind === "http") {
    try {
      const url = new URL(check.url);
      return { port: Number(url.port || (url.protocol === "https:" ? 443 : 80)), why: "" };
    } catch {
      // Not a URL: the port stays unknown.
    }
  }
  const listed = plan.mirrordConfig?.feature.network.incoming.http_filter?.ports;
  const ports = listed === undefined ? [] : ([] as unknown[]).concat(listed);
  if (ports.length === 1 && typeof ports[0] === "number") return { port: ports[0], why: "" };
  return {
    port: undefined,
    why:
      ports.length > 1
        ? `http_filter.ports lists ${ports.join(", ")}`
        : "neither http_filter.ports nor ready_when names it",
  };
}
