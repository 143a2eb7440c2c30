/**
 * A service's lifecycle, as plain data: how it is restarted, what it waits for, when it counts
 * as ready, where it runs and which env file it reads. Pure: paths stay as written here;
 * `resolveLifecycleFiles` (lifecycle-files.ts, the one module of plan/ that reads files) resolves
 * them against the project directory and reads the env file before anything starts.
 */
import type { DependencyCondition, RestartPolicy } from "../config/lifecycle-schema.js";
import type { ConfigPath } from "../config/load.js";
import type { CommonConfig, ServiceConfig } from "../config/schema.js";

export type { RestartPolicy } from "../config/lifecycle-schema.js";

/** The default interval and timeout of `ready_when`. */
const DEFAULT_READY_INTERVAL_MS = 1000;
const DEFAULT_READY_TIMEOUT_MS = 60_000;

/** One readiness check (`ready_when` has exactly one). */
export type ReadinessCheck =
  | { kind: "port"; port: number }
  | { kind: "http"; url: string }
  | { kind: "log"; pattern: string }
  | { kind: "command"; command: string[] };

interface ReadyWhen {
  check: ReadinessCheck;
  intervalMs: number;
  timeoutMs: number;
}

/** One entry of `depends_on`, and where it is written (for messages). */
export interface Dependency {
  service: string;
  condition: DependencyCondition;
  path: ConfigPath;
}

/** A path from the file: as written, then (once resolved by the CLI) absolute. */
interface FileRef {
  path: string;
  /** Where in mirrord-up.yaml it is set. */
  from: ConfigPath;
}

export interface Lifecycle {
  restart: RestartPolicy;
  dependsOn: Dependency[];
  /** `one_shot: true`. (A service others wait on with service_completed_successfully is a job too.) */
  oneShot: boolean;
  readyWhen?: ReadyWhen;
  /** `run.working_dir`; absent = the project directory (the config file's, or `--project-directory`). */
  workingDir?: FileRef;
  /** `env_file` of the service, else of `common`; `vars` is filled once the file is read. */
  envFile?: FileRef & { vars?: Record<string, string> };
}

/** The lifecycle of service `name`, with `common`'s defaults applied. */
export function planLifecycle(name: string, service: ServiceConfig, common: CommonConfig): Lifecycle {
  const at = (...rest: PropertyKey[]): ConfigPath => ["services", name, ...rest];
  const envFile =
    service.env_file !== undefined
      ? { path: service.env_file, from: at("env_file") }
      : common.env_file !== undefined
        ? { path: common.env_file, from: ["common", "env_file"] }
        : undefined;
  return {
    restart: service.restart ?? common.restart ?? { kind: "no" },
    dependsOn: dependenciesOf(name, service),
    oneShot: service.one_shot === true,
    ...(service.ready_when && { readyWhen: readyWhenOf(service.ready_when) }),
    ...(service.run.working_dir !== undefined && {
      workingDir: { path: service.run.working_dir, from: at("run", "working_dir") },
    }),
    ...(envFile && { envFile }),
  };
}

/** `depends_on` in either form, as a list in the order written. */
export function dependenciesOf(name: string, service: Pick<ServiceConfig, "depends_on">): Dependency[] {
  const dependsOn = service.depends_on;
  if (dependsOn === undefined) return [];
  const at = (entry: PropertyKey): ConfigPath => ["services", name, "depends_on", entry];
  if (Array.isArray(dependsOn)) {
    return dependsOn.map((service, index) => ({ service, condition: "service_started", path: at(index) }));
  }
  return Object.entries(dependsOn).map(([service, options]) => ({
    service,
    condition: options?.condition ?? "service_started",
    path: at(service),
  }));
}

function readyWhenOf(ready: NonNullable<ServiceConfig["ready_when"]>): ReadyWhen {
  const check: ReadinessCheck =
    ready.port !== undefined
      ? { kind: "port", port: ready.port }
      : ready.http !== undefined
        ? { kind: "http", url: ready.http }
        : ready.log !== undefined
          ? { kind: "log", pattern: ready.log }
          : { kind: "command", command: [...(ready.command ?? [])] };
  return {
    check,
    intervalMs: ready.interval ?? DEFAULT_READY_INTERVAL_MS,
    timeoutMs: ready.timeout ?? DEFAULT_READY_TIMEOUT_MS,
  };
}

/** The check in words, for status lines: `port 8080`, `http://127.0.0.1/health`, `log /Listening/`. */
export function describeCheck(check: ReadinessCheck): string {
  switch (check.kind) {
    case "port":
      return `port ${check.port}`;
    case "http":
      return check.url;
    case "log":
      return `log /${check.pattern}/`;
    case "command":
      return `command \`${check.command.join(" ")}\``;
  }
}
