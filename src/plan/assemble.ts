/**
 * validated config + key + flags -> one `SessionPlan` per selected service: the complete
 * mirrord.json object and the command. Pure: no filesystem, clock or process.
 * Mirrors upstream `UpConfig::assemble` (reference section 3) with the decisions in the README.
 */
import type { ConfigPath } from "../config/load.js";
import type { CommonConfig, HttpFilterConfig, ServiceConfig, UpConfig } from "../config/schema.js";
import { HTTP_FILTER_KINDS } from "../config/schema.js";
import { parseTargetPath, REPLACEABLE_KINDS } from "../config/target-path.js";
import type { KeyKind } from "./key.js";
import { type Lifecycle, planLifecycle } from "./lifecycle.js";
import { PlanError, type PlanProblem } from "./problems.js";
import { ALL_QUEUE_KINDS, wildcardQueueSplits } from "./queues.js";
import { regexSizeWarnings } from "./regex-size.js";
import { selectServices } from "./select.js";
import { sessionHeaderFilter } from "./session-filter.js";

export type Mode = "split" | "replace";
export type RunType = "exec" | "container" | "local";

/** The subset of mirrord.json that mirrord-up writes. Field order here is the order on disk. */
export interface MirrordConfig {
  key: string;
  accept_invalid_certificates?: boolean;
  operator?: boolean;
  telemetry?: boolean;
  kube_context?: string;
  target?: { path?: string; namespace?: string };
  feature: {
    env?: Record<string, unknown>;
    network: {
      incoming: {
        /** `off` only for `mirrord-up run` without `--steal` (plan/one-off.ts). */
        mode: "steal" | "off";
        http_filter?: Record<string, unknown>;
        ignore_ports?: number[];
      };
    };
    copy_target?: { enabled: true; scale_down: true };
    split_queues?: unknown;
    magic: { aws: false };
  };
}

/** Which setting chose a service's kube context, and where it is in the file. */
interface ContextOrigin {
  source: "--context" | "service context" | "common.context";
  path?: ConfigPath;
}

/** `--context` > `services.<name>.context` > `common.context` (upstream `kube_context.rs`). */
function contextByPrecedence(
  name: string,
  service: ServiceConfig,
  common: CommonConfig,
  flag: string | undefined,
): { context?: string; contextOrigin?: ContextOrigin } {
  if (flag !== undefined) return { context: flag, contextOrigin: { source: "--context" } };
  if (service.context !== undefined) {
    return {
      context: service.context,
      contextOrigin: { source: "service context", path: ["services", name, "context"] },
    };
  }
  if (common.context !== undefined) {
    return {
      context: common.context,
      contextOrigin: { source: "common.context", path: ["common", "context"] },
    };
  }
  return {};
}

/** One service, ready to start. */
export interface SessionPlan {
  name: string;
  type: RunType;
  /** Program and arguments, run without a shell. */
  command: string[];
  /** The mirrord.json for exec/container services; absent for `run.type: local`. */
  mirrordConfig?: MirrordConfig;
  /** Kube context passed to mirrord as `--context`, by precedence. */
  context?: string;
  /** Where `context` came from (for messages); absent when no context is set (current-context). */
  contextOrigin?: ContextOrigin;
  /** Variables set for a local service (its `env.override`). */
  env: Record<string, string>;
  /** split/replace for mirrord services. */
  mode?: Mode;
  /** Set when `target.path` was omitted: the target is to be looked up in the cluster by name. */
  inferTarget?: { namespace?: string };
  /** True when the service steals with the default `baggage` session filter. */
  usesSessionFilter: boolean;
  /** mirrord sessions: whether mirrord takes the key as provided (`--key`) or generated. */
  keyKind?: KeyKind;
  /** Restart policy, dependencies, readiness, working directory, env file (src/plan/lifecycle.ts). */
  lifecycle: Lifecycle;
}

export interface PlanOptions {
  key: string;
  /** How mirrord is to take the key (default `provided`): see `KeyKind`. */
  keyKind?: KeyKind;
  /** Services named on the command line. */
  services: readonly string[];
  /** `-m, --mode`: overrides `default_mode` of the selected services. */
  mode?: Mode;
  /** `--context`: beats every context in the file. */
  context?: string;
}

/** A warning to print before starting (e.g. a filter dropped in replace mode). */
interface PlanWarning {
  service: string;
  message: string;
}

export interface RunPlan {
  key: string;
  sessions: SessionPlan[];
  warnings: PlanWarning[];
}

/** Builds the plan; throws `PlanError` listing every problem (e.g. all incompatible targets). */
export function buildRunPlan(config: UpConfig, options: PlanOptions): RunPlan {
  const names = selectServices(config, options.services);
  const problems: PlanProblem[] = [];
  const warnings: PlanWarning[] = [];
  const sessions = names.map((name) => {
    const service = config.services[name] as ServiceConfig;
    return planService(name, service, config.common ?? {}, options, problems, warnings);
  });
  if (problems.length > 0) throw new PlanError(problems);
  return { key: options.key, sessions, warnings };
}

function planService(
  name: string,
  service: ServiceConfig,
  common: CommonConfig,
  options: PlanOptions,
  problems: PlanProblem[],
  warnings: PlanWarning[],
): SessionPlan {
  const type: RunType = service.run.type ?? "exec";
  const command = [...service.run.command];
  const lifecycle = planLifecycle(name, service, common);
  if (type === "local") {
    return {
      name,
      type,
      command,
      env: { ...(service.env?.override ?? {}) },
      usesSessionFilter: false,
      lifecycle,
    };
  }
  const mode: Mode = options.mode ?? service.default_mode ?? "split";
  const { context, contextOrigin } = contextByPrecedence(name, service, common, options.context);
  const { config, usesSessionFilter } = assembleMirrordConfig(service, common, {
    key: options.key,
    mode,
    context,
    warn: (message) => warnings.push({ service: name, message }),
  });
  problems.push(...checkReplaceTarget(name, service, common, mode));
  const target = service.target;
  const inferTarget =
    target !== "none" && !target?.path ? { namespace: target?.namespace ?? undefined } : undefined;
  return {
    name,
    type,
    command,
    mirrordConfig: config,
    context,
    contextOrigin,
    env: {},
    mode,
    inferTarget,
    usesSessionFilter,
    keyKind: options.keyKind ?? "provided",
    lifecycle,
  };
}

interface AssembleOptions {
  key: string;
  mode: Mode;
  context?: string;
  warn(message: string): void;
}

/** One service's mirrord.json (upstream `assemble`, section 3 of the reference). */
function assembleMirrordConfig(
  service: ServiceConfig,
  common: CommonConfig,
  options: AssembleOptions,
): { config: MirrordConfig; usesSessionFilter: boolean } {
  const { key, mode } = options;
  const feature: MirrordConfig["feature"] = {
    network: { incoming: { mode: "steal" } },
    magic: { aws: false },
  };
  if (service.env !== undefined) feature.env = { ...service.env };

  let usesSessionFilter = false;
  const userFilter = service.http_filter;
  const usedFilter = mode === "split" && userFilter && isFilterSet(userFilter) ? userFilter : undefined;
  for (const warning of regexSizeWarnings(service, usedFilter)) options.warn(warning);
  if (mode === "split") {
    if (userFilter && isFilterSet(userFilter)) {
      feature.network.incoming.http_filter = { ...userFilter };
      if (userFilter.ports !== undefined) {
        options.warn(
          `\`http_filter.ports\` limits your filter to port${portList(userFilter.ports)}: mirrord steals every request on the service's other ports unfiltered (list them in \`ignore_ports\` to leave them alone)`,
        );
      }
    } else {
      // No filter kind: the session filter on every port, as upstream. Keeping `ports` would
      // make mirrord steal every request on all the other ports, unfiltered.
      feature.network.incoming.http_filter = { header_filter: sessionHeaderFilter(key) };
      usesSessionFilter = true;
      if (userFilter?.ports !== undefined) {
        options.warn(
          "`http_filter.ports` without a filter is ignored: the session filter applies on every port (as in mirrord up)",
        );
      }
    }
  } else {
    if (userFilter && isFilterSet(userFilter)) {
      options.warn("`http_filter` is ignored in `replace` mode, all incoming traffic is handled locally");
    }
    feature.copy_target = { enabled: true, scale_down: true };
  }

  const ignorePorts = [...new Set(service.ignore_ports ?? [])].sort((a, b) => a - b);
  if (ignorePorts.length > 0) feature.network.incoming.ignore_ports = ignorePorts;

  const messages = service.messages;
  if (messages === "auto") feature.split_queues = wildcardQueueSplits(key, ALL_QUEUE_KINDS);
  else if (Array.isArray(messages)) feature.split_queues = wildcardQueueSplits(key, messages);
  else if (messages !== undefined) feature.split_queues = { ...messages };

  const target = service.target;
  const config: MirrordConfig = {
    key,
    ...(common.accept_invalid_certificates !== undefined && {
      accept_invalid_certificates: common.accept_invalid_certificates,
    }),
    ...(common.operator !== undefined && { operator: common.operator }),
    ...(common.telemetry !== undefined && { telemetry: common.telemetry }),
    ...(options.context !== undefined && { kube_context: options.context }),
    // `target: none` is targetless: leave `path` out, because an explicit "targetless" path
    // makes mirrord reject steal mode. An omitted target stays out until it is inferred.
    ...(target === "none" && { target: {} }),
    ...(target &&
      target !== "none" && {
        target: {
          ...(target.path !== undefined && { path: target.path }),
          ...(target.namespace !== undefined && { namespace: target.namespace }),
        },
      }),
    feature: {
      ...(feature.env !== undefined && { env: feature.env }),
      network: feature.network,
      ...(feature.copy_target !== undefined && { copy_target: feature.copy_target }),
      ...(feature.split_queues !== undefined && { split_queues: feature.split_queues }),
      magic: feature.magic,
    },
  };
  return { config, usesSessionFilter };
}

/** " 8080" or "s 8080, 9090", for messages. */
function portList(ports: number | number[]): string {
  const list = Array.isArray(ports) ? ports : [ports];
  return `${list.length === 1 ? "" : "s"} ${list.join(", ")}`;
}

/** Upstream `is_filter_set`: any filter kind present (`ports` alone is not a filter). */
function isFilterSet(filter: HttpFilterConfig): boolean {
  return HTTP_FILTER_KINDS.some((kind) => filter[kind] !== undefined);
}

/** Upstream `validate_targets`: replace mode copies and scales down, which only some kinds allow. */
function checkReplaceTarget(
  name: string,
  service: ServiceConfig,
  common: CommonConfig,
  mode: Mode,
): PlanProblem[] {
  if (mode !== "replace") return [];
  const problems: PlanProblem[] = [];
  const at = (...rest: string[]): ConfigPath => ["services", name, ...rest];
  if (common.operator === false) {
    problems.push({
      path: ["common", "operator"],
      message: `\`${name}\` is \`replace\` mode, which needs the mirrord operator, but common.operator is false`,
    });
  }
  const target = service.target;
  if (target === "none") {
    problems.push({
      path: at("target"),
      message: `incompatible mode and target: \`${name}\` is \`replace\` mode with a targetless target`,
      hint: "replace mode copies a deployment, statefulset, replicaset, job or cronjob",
    });
  } else if (target?.path) {
    const problem = replaceTargetProblem(name, target.path);
    if (problem) problems.push({ ...problem, path: at("target", "path") });
  }
  return problems;
}

/** Replace mode cannot copy and scale down every kind of target (upstream `compatible_with`). */
export function replaceTargetProblem(name: string, path: string): PlanProblem | undefined {
  const parsed = parseTargetPath(path);
  if (!parsed.ok || REPLACEABLE_KINDS.has(parsed.target.kind)) return undefined;
  return {
    message: `incompatible mode and target: \`${name}\` is \`replace\` mode with a ${parsed.target.kind} target`,
    hint: "replace mode copies a deployment, statefulset, replicaset, job or cronjob; use split mode for this one",
  };
}
