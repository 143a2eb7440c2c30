/**
 * Sessions against each other: which of them would steal the same requests. Pure.
 *
 * Certain conflicts need no request: a session that steals a port unfiltered (replace mode, or a
 * port outside its `http_filter.ports`) takes every request another session on that target and
 * port would get, and without the operator two sessions cannot steal from one target at all.
 * Filtered sessions conflict only when a concrete request is stolen by both; whether a session
 * steals a request is the route decision's (`route`, part 14: `routeVerdicts`), asked about
 * candidate requests built here.
 */
import { parseTargetPath } from "../config/target-path.js";
import type { SessionPlan } from "./assemble.js";
import { decideRoute, type RouteVerdict } from "./route.js";
import { sessionHeader } from "./session-filter.js";

/** A request to ask the route decision about. */
export interface CandidateRequest {
  method: string;
  path: string;
  headers: { name: string; value: string }[];
  /** Where it was built from, for messages: `the session header`, `api's header_filter`. */
  origin: string;
}

/** The route decision: for each session (by name) whether it steals `request` arriving on `port`. */
export type RouteDecider = (
  sessions: readonly SessionPlan[],
  request: CandidateRequest,
  port: number,
) => ReadonlyMap<string, RouteVerdict>;

/**
 * `route`'s answer for each session alone: whether its own subscription on `port` takes the
 * request (its filter, `http_filter.ports`, `ignore_ports`). Alone, and as with the operator (the
 * agent sees every pod), because sharing a target and where the agent runs are the certain
 * conflicts' part; here the question is only whether both filters select the request.
 */
export const routeVerdicts: RouteDecider = (sessions, request, port) =>
  new Map(
    sessions.map((s): [string, RouteVerdict] => {
      const answer = decideRoute({
        services: [{ name: s.name, config: s.mirrordConfig, port }],
        request: { method: request.method, target: request.path, headers: request.headers },
        operator: true,
      });
      return [s.name, answer.services[0]?.verdict ?? "cannot-tell"];
    }),
  );

/** Two (or more) sessions that would steal the same requests. */
interface Conflict {
  services: string[];
  /** Where both steal: the target (`deployment/api in "shop"`) and port, if one is known. */
  where: string;
  why: string;
  /** The request both would steal, when one was proven. */
  request?: CandidateRequest;
}

/** Who a session steals from: sessions conflict only on the same target. */
interface TargetKey {
  /** The kube context name as planned (undefined = the kubeconfig's current one). */
  context?: string;
  namespace?: string;
  /** `kind/name`, without the container. */
  workload: string;
}

function targetOf(session: SessionPlan): TargetKey | undefined {
  const target = session.mirrordConfig?.target;
  if (!target?.path || session.mirrordConfig?.feature.network.incoming.mode !== "steal") return undefined;
  const parsed = parseTargetPath(target.path);
  if (!parsed.ok) return undefined;
  return {
    context: session.context,
    namespace: target.namespace,
    workload: `${parsed.target.kind}/${parsed.target.name}`,
  };
}

function describeTarget(t: TargetKey): string {
  return `${t.workload}${t.namespace ? ` in "${t.namespace}"` : ""}${t.context ? ` (context "${t.context}")` : ""}`;
}

/** The ports a session's filter is limited to; undefined = every port is filtered. */
function filteredPorts(session: SessionPlan): number[] | undefined {
  const ports = session.mirrordConfig?.feature.network.incoming.http_filter?.ports;
  if (ports === undefined) return undefined;
  return Array.isArray(ports) ? (ports as number[]) : [ports as number];
}

/** Whether a session steals `port` unfiltered: replace mode, or a port outside its filter's ports. */
function stealsUnfiltered(session: SessionPlan, port: number | undefined): boolean {
  const incoming = session.mirrordConfig?.feature.network.incoming;
  if (!incoming) return false;
  if (port !== undefined && (incoming.ignore_ports ?? []).includes(port)) return false;
  if (incoming.http_filter === undefined) return true;
  const ports = filteredPorts(session);
  return ports !== undefined && (port === undefined || !ports.includes(port));
}

/** What the operator does for a context: known present, known absent, or not known. */
type OperatorPresence = (session: SessionPlan) => boolean | undefined;

export interface ConflictOptions {
  /** Whether the operator serves a session's context (its API discovered, or `operator: true`). */
  operator: OperatorPresence;
  /** The route decision (`routeVerdicts`; tests give their own). */
  route: RouteDecider;
}

export interface ConflictReport {
  conflicts: Conflict[];
  /** Candidate requests asked about (for the "no conflict found" line). */
  asked: number;
}

export function findConflicts(sessions: readonly SessionPlan[], options: ConflictOptions): ConflictReport {
  const groups = new Map<string, { target: TargetKey; sessions: SessionPlan[] }>();
  for (const session of sessions) {
    const target = targetOf(session);
    if (!target) continue;
    const key = JSON.stringify([target.context ?? "", target.namespace ?? "", target.workload]);
    const group = groups.get(key) ?? { target, sessions: [] };
    group.sessions.push(session);
    groups.set(key, group);
  }
  const conflicts: Conflict[] = [];
  let asked = 0;
  for (const { target, sessions: group } of groups.values()) {
    if (group.length < 2) continue;
    const where = describeTarget(target);
    // One target: one context, so one answer for the whole group.
    if (options.operator(group[0] as SessionPlan) === false) {
      conflicts.push({
        services: group.map((s) => s.name),
        where,
        why: "they steal from one target without the mirrord operator: only one agent can steal its ports",
      });
      continue;
    }
    for (let i = 0; i < group.length; i++) {
      for (let j = i + 1; j < group.length; j++) {
        const a = group[i] as SessionPlan;
        const b = group[j] as SessionPlan;
        const certain = unfilteredConflict(a, b, where) ?? unfilteredConflict(b, a, where);
        if (certain) {
          conflicts.push(certain);
          continue;
        }
        const port = sharedPort(a, b);
        // Filtered on disjoint ports: no request reaches both filters.
        if (port === undefined) continue;
        for (const request of candidateRequests([a, b])) {
          asked++;
          const verdicts = options.route([a, b], request, port);
          if (verdicts.get(a.name) === "steals" && verdicts.get(b.name) === "steals") {
            conflicts.push({
              services: [a.name, b.name],
              where,
              why: `both steal ${describeRequest(request)} (${request.origin})`,
              request,
            });
            break;
          }
        }
      }
    }
  }
  return { conflicts, asked };
}

/**
 * A port where both sessions' filters apply: one both filter on (their `http_filter.ports`), else
 * any port neither ignores; undefined when their filtered ports have none in common.
 */
function sharedPort(a: SessionPlan, b: SessionPlan): number | undefined {
  const ignored = new Set([...ignoredPorts(a), ...ignoredPorts(b)]);
  const pa = filteredPorts(a);
  const pb = filteredPorts(b);
  if (pa || pb) {
    const both = pa && pb ? pa.filter((p) => pb.includes(p)) : (pa ?? pb ?? []);
    return both.find((p) => !ignored.has(p));
  }
  let port = 80;
  while (ignored.has(port)) port++;
  return port;
}

function ignoredPorts(s: SessionPlan): number[] {
  return s.mirrordConfig?.feature.network.incoming.ignore_ports ?? [];
}

/** `a` steals unfiltered where `b` listens: always, or on a port `b`'s filter names. */
function unfilteredConflict(a: SessionPlan, b: SessionPlan, where: string): Conflict | undefined {
  if (stealsUnfiltered(a, undefined) && filteredPorts(a) === undefined) {
    const why =
      a.mode === "replace"
        ? `${a.name} is in replace mode: it steals every request on every port`
        : `${a.name} steals every port unfiltered`;
    return { services: [a.name, b.name], where, why };
  }
  const portsOfB = filteredPorts(b) ?? [];
  const port = portsOfB.find((p) => stealsUnfiltered(a, p));
  if (port === undefined) return undefined;
  return {
    services: [a.name, b.name],
    where: `${where}, port ${port}`,
    why: `${a.name}'s http_filter.ports leaves port ${port} out, so it steals it unfiltered, while ${b.name} filters on it`,
  };
}

/** `GET /path (baggage: ...)`. */
export function describeRequest(request: CandidateRequest): string {
  const headers = request.headers.map((h) => `${h.name}: ${h.value}`).join(", ");
  return `${request.method} ${request.path}${headers ? ` with ${headers}` : ""}`;
}

/**
 * The requests worth asking about for these sessions: the session header (every session with
 * the default filter steals it) and one request per filter, built from its literal parts.
 */
export function candidateRequests(sessions: readonly SessionPlan[]): CandidateRequest[] {
  const requests: CandidateRequest[] = [];
  const keys = new Set<string>();
  const add = (request: CandidateRequest) => {
    const key = JSON.stringify([request.method, request.path, request.headers]);
    if (!keys.has(key)) {
      keys.add(key);
      requests.push(request);
    }
  };
  for (const session of sessions) {
    const key = session.mirrordConfig?.key;
    if (session.usesSessionFilter && key !== undefined) {
      add({
        method: "GET",
        path: "/",
        headers: [sessionHeader(key)],
        origin: `${session.name}'s session header`,
      });
    }
    const filter = session.mirrordConfig?.feature.network.incoming.http_filter;
    if (filter && !session.usesSessionFilter) {
      const request = requestFromFilter(filter as Record<string, unknown>);
      if (request) add({ ...request, origin: `built from ${session.name}'s http_filter` });
    }
  }
  return requests;
}

type Parts = Omit<CandidateRequest, "origin">;

/** One request matching the literal parts of a filter (all of `all_of`, the first of `any_of`). */
function requestFromFilter(filter: Record<string, unknown>): Parts | undefined {
  const request: Parts = { method: "GET", path: "/", headers: [] };
  const entries: Record<string, unknown>[] = [];
  if (typeof filter.header_filter === "string") entries.push({ header: filter.header_filter });
  if (typeof filter.path_filter === "string") entries.push({ path: filter.path_filter });
  if (typeof filter.method_filter === "string") entries.push({ method: filter.method_filter });
  if (Array.isArray(filter.all_of)) entries.push(...(filter.all_of as Record<string, unknown>[]));
  if (Array.isArray(filter.any_of) && filter.any_of.length > 0)
    entries.push(filter.any_of[0] as Record<string, unknown>);
  if (entries.length === 0) return undefined;
  for (const entry of entries) {
    if (typeof entry.header === "string") {
      const text = literalOf(entry.header);
      const colon = text.indexOf(":");
      if (colon > 0)
        request.headers.push({ name: text.slice(0, colon).trim(), value: text.slice(colon + 1).trim() });
      else if (text) request.headers.push({ name: text, value: "" });
    } else if (typeof entry.path === "string") {
      const path = literalOf(entry.path);
      request.path = path.startsWith("/") ? path : `/${path}`;
    } else if (typeof entry.method === "string") {
      request.method = entry.method.toUpperCase();
    }
  }
  return request;
}

/**
 * The literal text of a regex: anchors, flags and repetitions of "anything" dropped, escapes
 * taken as the character; at the first construct with a choice (a class, a group, `|`, `?`)
 * what follows is cut, as no single literal stands for it.
 */
export function literalOf(regex: string): string {
  let out = "";
  let i = regex.startsWith("(?i)") ? 4 : 0;
  for (; i < regex.length; i++) {
    const c = regex[i] as string;
    const next = regex[i + 1];
    if (c === "^" || c === "$") continue;
    if (c === "\\") {
      if (next === undefined) break;
      if (/[A-Za-z0-9]/.test(next)) break; // \d, \s, \w, \b: a class or an assertion
      out += next;
      i++;
      continue;
    }
    if (c === "." && (next === "*" || next === "+")) {
      if (next === "+") out += "x";
      i++;
      continue;
    }
    if ("[(|?*+{.".includes(c)) break;
    out += c;
  }
  return out;
}
