/**
 * Which session gets a request: each service's mirrord.json (exactly what `up` hands to mirrord)
 * and the request in; per service steals / passes / cannot tell, with the reasons, and the
 * conflicts between sessions out. Follows mirrord 3.250.0: the layer's port subscription, the
 * agent's filters (route-filter.ts) and subscriptions, the dirty-iptables check. Pure.
 */
import type { MirrordConfig } from "./assemble.js";
import { decideHttpFilter, type FilterOutcome, type RouteReason, type RouteRequest } from "./route-filter.js";
import { sessionHeaderFilter } from "./session-filter.js";

export type { RouteRequest } from "./route-filter.js";

interface RouteService {
  name: string;
  /** The mirrord.json `up` hands to mirrord; absent for a `run.type: local` service. */
  config?: MirrordConfig;
  /** True while the target is still to be looked up in the cluster (its kind is not known). */
  inferTarget?: boolean;
  /** The port the request arrives on at this service's target; needed for a session that steals. */
  port?: number;
}

export interface RouteInput {
  /** Every service of the run: conflicts need them all. */
  services: readonly RouteService[];
  /** The services to answer for, in this order; every service with mirrord when absent. */
  only?: readonly string[];
  request: RouteRequest;
  /** Whether mirrord goes through the operator; when absent, each config's `operator`, else unknown. */
  operator?: boolean;
}

export type RouteVerdict = "steals" | "passes" | "cannot-tell";

interface ServiceRoute {
  service: string;
  /** Absent where no port plays a part (a local or targetless service). */
  port?: number;
  /** The target as the file names it, e.g. `deployment/api`. */
  target: string;
  verdict: RouteVerdict;
  reasons: RouteReason[];
}

interface RouteConflict {
  services: string[];
  target: string;
  port?: number;
  text: string;
  source: string;
}

export interface RouteAnswer {
  services: ServiceRoute[];
  conflicts: RouteConflict[];
  /** One line: who gets it, or that it passes through to the original destination. */
  summary: string;
}

const PASSED_THROUGH = "passed through to the original destination";

const SOURCES = {
  subscription: "mirrord/layer-lib/src/setup.rs:313-330",
  noFilter: "mirrord/layer-lib/src/setup.rs:316",
  outsidePorts: "mirrord/layer-lib/src/setup.rs:318-323",
  filtered: "mirrord/layer-lib/src/setup.rs:325",
  ignorePorts: "mirrord/layer/src/socket/ops.rs:230-239",
  passThrough: "mirrord/agent/src/steal/task.rs:316-322",
  firstMatch: "mirrord/agent/src/steal/task.rs:267-296",
  filteredMap: "mirrord/agent/src/steal/subscriptions.rs:248",
  filteredEvicts: "mirrord/agent/src/steal/subscriptions.rs:90-95",
  unfilteredEvicts: "mirrord/agent/src/steal/subscriptions.rs:112-117",
  unfilteredReplaces: "mirrord/agent/src/steal/subscriptions.rs:97-100",
  dirtyIptables: "mirrord/agent/src/entrypoint.rs:886-899",
  targetless: "mirrord/agent/src/entrypoint.rs:955-958",
  firstPod: "mirrord/kube/src/api/runtime.rs:421-426",
} as const;

/** A session's port subscription on one port (the layer's `IncomingMode::subscription`). */
type Subscription =
  | { kind: "none"; reasons: RouteReason[] }
  | { kind: "unfiltered"; reasons: RouteReason[] }
  | { kind: "filtered"; outcome: FilterOutcome; reasons: RouteReason[] };

/** Where a session's agent runs: one identity per target; none for local and targetless sessions. */
interface Placement {
  key?: string;
  shown: string;
  /** A pod target: one pod. Any other kind (or an inferred target) may have several. */
  onePod: boolean;
}

export function decideRoute(input: RouteInput): RouteAnswer {
  const { request } = input;
  const byName = new Map(input.services.map((s) => [s.name, s]));
  const names = input.only ?? input.services.filter((s) => s.config).map((s) => s.name);
  const conflicts = new Map<string, RouteConflict>();
  const addConflict = (conflict: RouteConflict) => {
    const id = `${conflict.source} ${conflict.target} ${conflict.port ?? ""} ${[...conflict.services].sort().join(",")}`;
    if (!conflicts.has(id)) conflicts.set(id, conflict);
  };

  const services = names.map((name): ServiceRoute => {
    const service = byName.get(name) as RouteService;
    const place = placementOf(service);
    const sub = subscriptionOf(service, service.port, request);
    const reasons = [...sub.reasons];
    let verdict: RouteVerdict = baseVerdict(sub);
    const operator = input.operator ?? service.config?.operator;
    if (place.key !== undefined && verdict !== "passes") {
      if (!place.onePod && operator !== true) {
        verdict = "cannot-tell";
        reasons.push({
          text: `without the operator, mirrord's agent runs in one pod of ${place.shown} (the first listed); a request sent to another replica passes${operator === undefined ? " (with the operator, every pod: say --operator or --no-operator)" : ""}`,
          source: SOURCES.firstPod,
        });
      }
      const others = input.services.filter(
        (o) =>
          o.name !== name &&
          o.config?.feature.network.incoming.mode === "steal" &&
          placementOf(o).key === place.key,
      );
      if (others.length > 0) {
        verdict =
          shareTarget(service, sub, others, place, operator, request, reasons, addConflict) ?? verdict;
      }
    }
    if (verdict === "passes") {
      reasons.push({
        text: PASSED_THROUGH,
        source: sub.kind === "none" ? SOURCES.ignorePorts : SOURCES.passThrough,
      });
    }
    return { service: name, port: service.port, target: place.shown, verdict, reasons };
  });
  return { services, conflicts: [...conflicts.values()], summary: summarize(services) };
}

function baseVerdict(sub: Subscription): RouteVerdict {
  if (sub.kind === "none") return "passes";
  if (sub.kind === "unfiltered") return "steals";
  return sub.outcome === "match" ? "steals" : sub.outcome === "no-match" ? "passes" : "cannot-tell";
}

/**
 * Sessions on one target. Without the operator each has its own agent, and the second to start
 * finds the first one's iptables rules and fails. With it, one agent holds every session's
 * subscription on a port. Returns the verdict it changes to, if it does.
 */
function shareTarget(
  service: RouteService,
  sub: Subscription,
  others: readonly RouteService[],
  place: Placement,
  operator: boolean | undefined,
  request: RouteRequest,
  reasons: RouteReason[],
  addConflict: (conflict: RouteConflict) => void,
): RouteVerdict | undefined {
  const all = [service.name, ...others.map((o) => o.name)];
  // Set: the session subscribed on it (subscriptionOf).
  const port = service.port as number;
  let verdict: RouteVerdict | undefined;
  const undecided = (text: string, source: string) => {
    reasons.push({ text, source });
    verdict = "cannot-tell";
  };
  if (operator !== true) {
    const text = `${all.join(", ")} steal from ${place.shown}; without the operator each has its own agent, and the one that starts second fails on the first one's iptables rules ("Detected dirty iptables")`;
    addConflict({ services: all, target: place.shown, text, source: SOURCES.dirtyIptables });
    undecided(
      operator === false
        ? `${text}: cannot tell which one runs`
        : `${text}; with the operator they share one agent: cannot tell`,
      SOURCES.dirtyIptables,
    );
    if (operator === false) return verdict;
  }
  const subs = others.map((o) => ({ name: o.name, sub: subscriptionOf(o, port, request) }));
  const unfiltered = subs.filter((s) => s.sub.kind === "unfiltered").map((s) => s.name);
  const filtered = subs.filter(
    (s): s is { name: string; sub: Extract<Subscription, { kind: "filtered" }> } => s.sub.kind === "filtered",
  );
  if (sub.kind === "unfiltered" && unfiltered.length > 0) {
    const text = `${[service.name, ...unfiltered].join(", ")} each steal port ${port} of ${place.shown} unfiltered; the one subscribed last replaces the others`;
    addConflict({
      services: [service.name, ...unfiltered],
      target: place.shown,
      port,
      text,
      source: SOURCES.unfilteredReplaces,
    });
    undecided(`${text}: cannot tell from the file`, SOURCES.unfilteredReplaces);
  }
  const mixed =
    (sub.kind === "unfiltered" && filtered.length > 0) || (sub.kind === "filtered" && unfiltered.length > 0);
  if (mixed) {
    const group = [service.name, ...(sub.kind === "unfiltered" ? filtered.map((f) => f.name) : unfiltered)];
    const text = `on port ${port} of ${place.shown}, an unfiltered and a filtered subscription evict each other (${group.join(", ")}); the later one wins`;
    addConflict({ services: group, target: place.shown, port, text, source: SOURCES.filteredEvicts });
    if (sub.kind === "unfiltered" || sub.outcome !== "no-match") {
      undecided(`${text}: cannot tell from the file`, SOURCES.unfilteredEvicts);
    }
  }
  if (sub.kind === "filtered" && sub.outcome !== "no-match") {
    const matching = filtered.filter((f) => f.sub.outcome === "match").map((f) => f.name);
    const maybe = filtered.filter((f) => f.sub.outcome === "cannot-tell").map((f) => f.name);
    if (matching.length > 0 && sub.outcome === "match") {
      const group = [service.name, ...matching];
      const text = `the filters of ${group.join(", ")} all match on port ${port} of ${place.shown}; the agent keeps them in a hash map and the first it meets gets the request`;
      addConflict({ services: group, target: place.shown, port, text, source: SOURCES.filteredMap });
      undecided(`${text}: which one is unspecified`, SOURCES.firstMatch);
    } else if (matching.length + maybe.length > 0) {
      undecided(
        `the filter of ${[...matching, ...maybe].join(", ")} may match too on port ${port} of ${place.shown}; then the hash map's order decides: cannot tell`,
        SOURCES.firstMatch,
      );
    } else if (filtered.length > 0) {
      reasons.push({
        text: `the filter of ${filtered.map((f) => f.name).join(", ")} on port ${port} of ${place.shown} does not match: the agent hands the request to the one that does`,
        source: SOURCES.firstMatch,
      });
    }
  }
  return verdict;
}

/** The layer's subscription for `port` (setup.rs), after `ignore_ports` (ops.rs), and the filter's verdict. */
function subscriptionOf(
  service: RouteService,
  port: number | undefined,
  request: RouteRequest,
): Subscription {
  const config = service.config;
  if (!config) {
    return {
      kind: "none",
      reasons: [{ text: "runs locally (run.type: local): no mirrord session", source: SOURCES.subscription }],
    };
  }
  const incoming = config.feature.network.incoming;
  if (incoming.mode !== "steal") {
    return {
      kind: "none",
      reasons: [
        {
          text: `incoming mode is ${incoming.mode}: the session steals nothing`,
          source: SOURCES.subscription,
        },
      ],
    };
  }
  if (isTargetless(service)) {
    return {
      kind: "none",
      reasons: [
        {
          text: "targetless: the agent runs in a pod of its own, which no request reaches",
          source: SOURCES.targetless,
        },
      ],
    };
  }
  // The caller names a port for every session that steals from a target (route-plan.ts).
  if (port === undefined) throw new Error(`route: no port for ${service.name}`);
  if (incoming.ignore_ports?.includes(port)) {
    return {
      kind: "none",
      reasons: [
        {
          text: `ignore_ports lists ${port}: the session does not subscribe to it`,
          source: SOURCES.ignorePorts,
        },
      ],
    };
  }
  const filter = incoming.http_filter;
  if (!filter) {
    const why = config.feature.copy_target ? "replace mode: no http_filter" : "no http_filter";
    return {
      kind: "unfiltered",
      reasons: [
        { text: `${why}: every connection to port ${port} is stolen, unfiltered`, source: SOURCES.noFilter },
      ],
    };
  }
  const ports = filter.ports === undefined ? undefined : ([] as unknown[]).concat(filter.ports);
  if (ports !== undefined && !ports.includes(port)) {
    return {
      kind: "unfiltered",
      reasons: [
        {
          text: `http_filter.ports (${ports.join(", ")}) leaves out ${port}: every connection to it is stolen, unfiltered`,
          source: SOURCES.outsidePorts,
        },
      ],
    };
  }
  const decision = decideHttpFilter(filter, request);
  const sessionFilter = filter.header_filter === sessionHeaderFilter(config.key);
  return {
    kind: "filtered",
    outcome: decision.outcome,
    reasons: [
      {
        text: `port ${port} is filtered (${ports === undefined ? "no http_filter.ports: every port" : "listed in http_filter.ports"})`,
        source: SOURCES.filtered,
      },
      ...(sessionFilter
        ? [
            {
              text: `the filter is mirrord-up's session filter for key ${config.key}: a baggage header with the member mirrord-session=${config.key}`,
              source: "mirrord-up: src/plan/session-filter.ts",
            },
          ]
        : []),
      ...decision.reasons,
    ],
  };
}

function isTargetless(service: RouteService): boolean {
  return !service.inferTarget && service.config?.target?.path === undefined;
}

function placementOf(service: RouteService): Placement {
  const config = service.config;
  if (!config || isTargetless(service)) return { shown: config ? "targetless" : "local", onePod: true };
  const path = service.inferTarget ? undefined : config.target?.path;
  const shown = path ?? `${service.name} (to be looked up in the cluster)`;
  const namespace = config.target?.namespace;
  return {
    key: JSON.stringify([config.kube_context ?? null, namespace ?? null, path ?? `?${service.name}`]),
    shown: namespace ? `${shown} in ${namespace}` : shown,
    onePod: path?.split("/")[0] === "pod",
  };
}

function summarize(services: readonly ServiceRoute[]): string {
  const stealers = services.filter((s) => s.verdict === "steals").map((s) => s.service);
  const unsure = services.filter((s) => s.verdict === "cannot-tell").map((s) => s.service);
  if (stealers.length === 0 && unsure.length === 0) return `no session steals it: ${PASSED_THROUGH}`;
  const parts = [];
  if (stealers.length > 0) parts.push(`stolen by ${stealers.join(", ")}`);
  if (unsure.length > 0) parts.push(`cannot tell for ${unsure.join(", ")}`);
  return parts.join("; ");
}
