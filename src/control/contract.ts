/**
 * The control API's contract, its one source of truth: a JSON Schema for every message and the
 * table of routes. The types in `protocol.ts` are inferred from it, the handler implements its
 * routes, the client checks every answer against it, and docs/control-api.openapi.json is
 * generated from it (`npm run openapi`, src/control/openapi.ts). How to change it: CONTRIBUTING.md,
 * "The control API".
 */
import type * as Plan from "../plan/route.js";
import type * as Run from "../run/control-types.js";
import type { Infer, JsonSchema } from "./schema.js";

/**
 * The protocol's version: in `/v1/info`'s `api` and in every path. Bumped when an answer of the
 * new `up` would fail the previous client's checks (a field removed, renamed or retyped, a new
 * value of an enum), or a request the previous `up` took changes meaning.
 */
export const API_VERSION = 1;

/** Every path's prefix: the version. */
const V = `/v${API_VERSION}` as const;
/**
 * `/v1/info` for every version to come, so that any client can tell which protocol the running
 * `up` speaks, whatever paths it knows.
 */
export const INFO_PATH = "/v1/info";

const nullable = <T extends "string" | "integer">(type: T, description: string) =>
  ({ type: [type, "null"], description }) as const;

const InfoResponse = {
  type: "object",
  description: "Who is running: the protocol version, the `up` process and its file.",
  required: ["api", "pid", "file"],
  properties: {
    api: { const: API_VERSION, description: "The protocol version this `up` speaks." },
    pid: { type: "integer", description: "The pid of the `up` process." },
    file: { type: "string", description: "The config file's real path." },
    key: { type: "string", description: "The session key; absent while `up` is still preparing." },
    context: {
      type: "string",
      description: "The `--context` `up` was started with; absent without one (or while preparing).",
    },
    started: { type: "string", description: "When the run started, ISO 8601; absent while preparing." },
    sessionHeader: {
      type: "string",
      description:
        "The header to send when a service uses the session filter (`baggage: mirrord-session=alice`).",
    },
    starting: {
      type: "boolean",
      description: "True while `up` has claimed the socket but not yet started its sessions.",
    },
  },
} as const satisfies JsonSchema;

const ServiceStatus = {
  type: "object",
  description: "One row of `ps` (and of the dashboard's table); the JSON of `ps --format json`.",
  required: [
    "name",
    "type",
    "state",
    "pid",
    "restarts",
    "started",
    "ready_after_ms",
    "exit_code",
    "signal",
    "target",
  ],
  properties: {
    name: { type: "string" },
    type: { enum: ["exec", "container", "local"], description: "How the service runs." },
    state: {
      enum: ["waiting", "starting", "ready", "running", "restarting", "exited", "failed", "stopped"],
      description:
        "waiting: for its dependencies; starting: not ready yet; ready: mirrord said Ready! (and ready_when passed); " +
        "running: a local service without a readiness check; restarting: restarted, or in the restart policy's backoff; " +
        "exited: ended with code 0; failed: ended otherwise; stopped: by request, or never started.",
    },
    pid: nullable("integer", "The session's pid (its process group) while it runs."),
    restarts: {
      type: "integer",
      minimum: 0,
      description: "Restarts so far (by request, by policy or by reload).",
    },
    started: nullable("string", "When the current (or last) run started, ISO 8601; null if never started."),
    ready_after_ms: nullable("integer", "Milliseconds from start to ready; null until ready."),
    exit_code: nullable("integer", "The last run's exit code; null while running or when a signal ended it."),
    signal: nullable("string", "The signal that ended the last run (`SIGTERM`)."),
    target: nullable(
      "string",
      "The target path (`deployment/api`), `none` for targetless, null for local services.",
    ),
  },
} as const satisfies JsonSchema;

const ServicesResponse = {
  type: "object",
  description: "Every service of the run, in the file's order.",
  required: ["services"],
  properties: { services: { type: "array", items: ServiceStatus } },
} as const satisfies JsonSchema;

const LogEntry = {
  type: "object",
  description:
    "A piece of a service's output, whole lines only. `text` holds the bytes as a latin1 string (one character " +
    "per byte), so any byte sequence survives JSON: `Buffer.from(text, 'latin1')` gives them back.",
  required: ["seq", "service", "stream", "time", "text"],
  properties: {
    seq: { type: "integer", description: "Increases by one per entry across the whole run." },
    service: { type: "string", description: "The service; empty for mirrord-up's own notices." },
    stream: { enum: ["stdout", "stderr", "status"], description: "status: mirrord-up's `▸` lines." },
    time: { type: "integer", description: "When the bytes were read, milliseconds since the epoch." },
    text: { type: "string" },
  },
} as const satisfies JsonSchema;

const RunEvent = {
  type: "object",
  description: "Something that happened to a service, for the events timeline.",
  required: ["time", "service", "kind"],
  properties: {
    time: { type: "integer", description: "Milliseconds since the epoch." },
    service: { type: "string" },
    kind: { enum: ["started", "ready", "restarted", "exited", "failed", "stopped", "removed", "added"] },
    by: {
      enum: ["request", "policy", "reload", "dependency"],
      description:
        "Who caused it: a request (start, stop, restart), the restart policy, a reload, or a dependency (started for a service that needs it; not started because a dependency failed). Absent: the run itself (its start, an exit).",
    },
    detail: {
      type: "string",
      description:
        'What kind and by do not say: "pid 12 → 48", "on-failure, attempt 2 of 5, pid 12 → 48", "after 2.1s", "exited with code 1".',
    },
  },
} as const satisfies JsonSchema;

const EndFrame = {
  type: "object",
  description:
    "The last line of a stream that ended cleanly (a stream without one was cut: mirrord-up went away). " +
    "complete: everything asked for was sent; run-ended: the run is over; closing: mirrord-up is closing its " +
    "control socket; too-slow: the reader fell behind by more than 16 MiB and was cut off.",
  required: ["end"],
  properties: {
    end: { enum: ["complete", "run-ended", "closing", "too-slow"] },
    error: { type: "string", description: "Why, for too-slow." },
  },
} as const satisfies JsonSchema;

const ActionRequest = {
  type: "object",
  description: "The services to act on; each must be a service of the run.",
  properties: { services: { type: "array", items: { type: "string" } } },
} as const satisfies JsonSchema;

const ActionDone = {
  type: "object",
  description: "The action was done: what happened, one line each.",
  required: ["ok", "messages"],
  properties: { ok: { const: true }, messages: { type: "array", items: { type: "string" } } },
} as const satisfies JsonSchema;

const ActionRefused = {
  type: "object",
  description:
    "The action was understood but refused (status 422): located errors, e.g. an invalid file on reload.",
  required: ["ok", "errors"],
  properties: { ok: { const: false }, errors: { type: "array", items: { type: "string" } } },
} as const satisfies JsonSchema;

const KillRequest = {
  type: "object",
  description: "The services whose main process (or, with group, whole process group) gets the signal.",
  properties: {
    services: { type: "array", items: { type: "string" } },
    signal: {
      type: "string",
      description: "The signal's name as Node knows it (`SIGTERM`); SIGKILL when absent.",
    },
    group: {
      type: "boolean",
      description: "True: to the session's whole process group; false or absent: to its main process.",
    },
  },
} as const satisfies JsonSchema;

const ProcessRow = {
  type: "object",
  description: "One process of a service; the JSON of `top --format json`.",
  required: ["pid", "ppid", "pgid", "in_group", "cpu_percent", "cpu_seconds", "rss_bytes", "command"],
  properties: {
    pid: { type: "integer" },
    ppid: { type: "integer" },
    pgid: { type: "integer", description: "Its process group: the session's, or another one." },
    in_group: {
      type: "boolean",
      description: "False for a process that left the session's group, found by its session marker.",
    },
    cpu_percent: {
      type: "number",
      description: "CPU time over its lifetime as a share of one CPU, as `ps` shows %CPU.",
    },
    cpu_seconds: { type: "number", description: "CPU time used so far (user + system), in seconds." },
    rss_bytes: nullable("integer", "Resident memory (VmRSS) in bytes; null when the kernel shows none."),
    command: { type: "string", description: "Its command line, arguments joined by spaces." },
  },
} as const satisfies JsonSchema;

const ServiceProcesses = {
  type: "object",
  description: "A service's processes, oldest first: its session's process group, and those that left it.",
  required: ["name", "pid", "processes"],
  properties: {
    name: { type: "string" },
    pid: nullable("integer", "The session's pid (its process group) while it runs."),
    processes: { type: "array", items: ProcessRow },
  },
} as const satisfies JsonSchema;

const TopResponse = {
  type: "object",
  description: "The processes of the services asked for (every service when none is), in the run's order.",
  required: ["services"],
  properties: { services: { type: "array", items: ServiceProcesses } },
} as const satisfies JsonSchema;

const DashboardRequest = {
  type: "object",
  properties: {
    port: {
      type: "integer",
      minimum: 0,
      maximum: 65535,
      description: "Where to serve it if it is not yet served; 0 or absent: a free port.",
    },
  },
} as const satisfies JsonSchema;

const DashboardResponse = {
  type: "object",
  description: "Where the dashboard is served.",
  required: ["url", "started"],
  properties: {
    url: { type: "string", description: "Its address, with the run's token in the fragment." },
    started: {
      type: "boolean",
      description: "True when this request started it; false when it was already served.",
    },
  },
} as const satisfies JsonSchema;

const ServiceConfigView = {
  type: "object",
  description: "One service as the dashboard's config view shows it.",
  required: ["name", "type", "command"],
  properties: {
    name: { type: "string" },
    type: { enum: ["exec", "container", "local"] },
    command: { type: "array", items: { type: "string" } },
    config: {
      type: "object",
      description: "The mirrord.json (not for local services), `env.override` values masked unless revealed.",
    },
    env: { type: "object", description: "A local service's variables, masked unless revealed." },
    curl: { type: "string", description: "A request to try it with, when there is one to suggest." },
  },
} as const satisfies JsonSchema;

const ConfigsResponse = {
  type: "object",
  required: ["services"],
  properties: { services: { type: "array", items: ServiceConfigView } },
} as const satisfies JsonSchema;

const RouteReason = {
  type: "object",
  description: "One step of the decision and the mirrord 3.250.0 source line it follows.",
  required: ["text", "source"],
  properties: {
    text: { type: "string" },
    source: { type: "string", description: "file:line(s) in metalbear-co/mirrord at 3.250.0." },
  },
} as const satisfies JsonSchema;

const RouteRequest = {
  type: "object",
  description: "A request to decide: which session would get it.",
  required: ["method", "target", "headers"],
  properties: {
    services: {
      type: "array",
      items: { type: "string" },
      description: "The services to answer for; every mirrord session of the run when absent or empty.",
    },
    method: { type: "string" },
    target: { type: "string", description: "The path, then `?query` if any (origin form)." },
    headers: {
      type: "array",
      description: "In the order sent; a repeated header is two entries.",
      items: {
        type: "object",
        required: ["name", "value"],
        properties: { name: { type: "string" }, value: { type: "string" } },
      },
    },
    port: {
      type: "integer",
      description: "The port at the target; else each service's own (ready_when, http_filter.ports).",
    },
    operator: {
      type: "boolean",
      description: "Whether the sessions go through the operator; else each config's `operator`.",
    },
  },
} as const satisfies JsonSchema;

const RouteAnswer = {
  type: "object",
  description:
    "Per service steals / passes / cannot-tell with the reasons, and the conflicts between sessions.",
  required: ["services", "conflicts", "summary"],
  properties: {
    services: {
      type: "array",
      items: {
        type: "object",
        required: ["service", "target", "verdict", "reasons"],
        properties: {
          service: { type: "string" },
          port: { type: "integer" },
          target: { type: "string" },
          verdict: { enum: ["steals", "passes", "cannot-tell"] },
          reasons: { type: "array", items: RouteReason },
        },
      },
    },
    conflicts: {
      type: "array",
      items: {
        type: "object",
        required: ["services", "target", "text", "source"],
        properties: {
          services: { type: "array", items: { type: "string" } },
          target: { type: "string" },
          port: { type: "integer" },
          text: { type: "string" },
          source: { type: "string" },
        },
      },
    },
    summary: {
      type: "string",
      description: "Who gets it, or that it passes through to the original destination.",
    },
  },
} as const satisfies JsonSchema;

const ErrorResponse = {
  type: "object",
  description: "A refused request (4xx) or a bug of mirrord-up (5xx).",
  required: ["error"],
  properties: {
    error: { type: "string" },
    hint: { type: "string", description: "What to do about it." },
  },
} as const satisfies JsonSchema;

/** Every message, by the name the OpenAPI document gives it. */
export const SCHEMAS = {
  InfoResponse,
  ServiceStatus,
  ServicesResponse,
  LogEntry,
  RunEvent,
  EndFrame,
  ActionRequest,
  ActionDone,
  ActionRefused,
  KillRequest,
  ProcessRow,
  ServiceProcesses,
  TopResponse,
  DashboardRequest,
  DashboardResponse,
  ServiceConfigView,
  ConfigsResponse,
  RouteReason,
  RouteRequest,
  RouteAnswer,
  ErrorResponse,
} as const;

/** One route of the API. */
export interface RouteContract {
  method: "GET" | "POST";
  path: `/v${number}/${string}`;
  summary: string;
  /** Who serves it: the Unix socket, the dashboard's loopback HTTP, or both. */
  listener: "both" | "socket" | "dashboard";
  query?: Readonly<Record<string, { description: string; schema: JsonSchema; repeated?: true }>>;
  /** The JSON body of a POST. */
  request?: JsonSchema;
  /** The body of a 200 answer, or with `stream`, each line of an NDJSON stream before its end frame. */
  response: JsonSchema;
  stream?: true;
  /** The body of a 422 answer: understood, but refused. */
  refused?: JsonSchema;
}

const SERVICE_FILTER = {
  description: "Only these services (repeat for more); all when absent.",
  schema: { type: "string" },
  repeated: true,
} as const;

const FOLLOW = {
  description: "1 (or empty, or true): keep the stream open and send what comes until the run ends.",
  schema: { enum: ["", "0", "1", "false", "true"] },
} as const;

const action = <N extends string>(name: N, summary: string) =>
  ({
    method: "POST",
    path: `${V}/${name}`,
    summary,
    listener: "both",
    request: ActionRequest,
    response: ActionDone,
    refused: ActionRefused,
  }) as const;

/** The routes, by the name the client calls them with. */
export const ROUTES = {
  info: {
    method: "GET",
    path: INFO_PATH,
    summary: "Who is running",
    listener: "both",
    response: InfoResponse,
  },
  services: {
    method: "GET",
    path: `${V}/services`,
    summary: "What `ps` shows",
    listener: "both",
    response: ServicesResponse,
  },
  logs: {
    method: "GET",
    path: `${V}/logs`,
    summary: "The buffered output, then (with follow) new output as it comes",
    listener: "both",
    query: {
      service: SERVICE_FILTER,
      tail: {
        description: 'Lines per service: a number, or "all" (the default).',
        schema: { type: "string" },
      },
      follow: FOLLOW,
    },
    response: LogEntry,
    stream: true,
  },
  events: {
    method: "GET",
    path: `${V}/events`,
    summary: "The events timeline, then (with follow) new events",
    listener: "both",
    query: { follow: FOLLOW },
    response: RunEvent,
    stream: true,
  },
  restart: action("restart", "Restart the named services"),
  kill: {
    method: "POST",
    path: `${V}/kill`,
    summary: "Send a signal to the named services' main processes (or process groups)",
    listener: "both",
    request: KillRequest,
    response: ActionDone,
    refused: ActionRefused,
  },
  top: {
    method: "GET",
    path: `${V}/top`,
    summary: "What `top` shows: each service's processes, read from /proc",
    listener: "both",
    query: { service: SERVICE_FILTER },
    response: TopResponse,
  },
  stop: action("stop", "Stop the named services"),
  start: action("start", "Start the named services"),
  reload: {
    method: "POST",
    path: `${V}/reload`,
    summary: "Read the file again and apply what changed",
    listener: "both",
    request: { type: "object" },
    response: ActionDone,
    refused: ActionRefused,
  },
  down: {
    method: "POST",
    path: `${V}/down`,
    summary: "End the whole run like Ctrl-C; answered once every session has stopped",
    listener: "both",
    request: { type: "object" },
    response: ActionDone,
  },
  dashboard: {
    method: "POST",
    path: `${V}/dashboard`,
    summary: "Serve the dashboard if it is not yet, and say where",
    listener: "socket",
    request: DashboardRequest,
    response: DashboardResponse,
  },
  route: {
    method: "POST",
    path: `${V}/route`,
    summary: "Which session gets a request, decided from the run's live mirrord configs (mirrord-up route)",
    listener: "both",
    request: RouteRequest,
    response: RouteAnswer,
  },
  configs: {
    method: "GET",
    path: `${V}/configs`,
    summary: "Each service's command and mirrord.json, for the dashboard's config view",
    listener: "dashboard",
    query: {
      reveal: { description: "1: show env values instead of masking them.", schema: { enum: ["0", "1"] } },
    },
    response: ConfigsResponse,
  },
} as const satisfies Record<string, RouteContract>;

type RouteName = keyof typeof ROUTES;
/** The paths the shared handler serves (the dashboard's listener adds `configs`). */
export type HandlerPath = Extract<(typeof ROUTES)[RouteName], { listener: "both" | "socket" }>["path"];

/** The route at `path`, if the contract has one. */
export function routeAt(path: string): RouteContract | undefined {
  return Object.values(ROUTES).find((r) => r.path === path);
}

type Route = (typeof ROUTES)[RouteName];
type RouteAtPath<P> = Extract<Route, { path: P }>;
/** Paths of GET routes answering one JSON value, of streams, and of POST routes (the socket's). */
export type JsonGetPath = Extract<
  Route,
  { method: "GET"; stream?: undefined; listener: "both" | "socket" }
>["path"];
export type StreamPath = Extract<Route, { stream: true }>["path"];
export type PostPath = Extract<Route, { method: "POST" }>["path"];
/** What the route at `P` answers with status 200 (for a stream: each item). */
export type ResponseAt<P> = Infer<RouteAtPath<P>["response"]>;
/** What the route at `P` answers with status 422, if it can. */
export type RefusedAt<P> = RouteAtPath<P> extends { refused: infer S } ? Infer<S> : never;
/** The body a POST to `P` takes. */
export type RequestAt<P> = RouteAtPath<P> extends { request: infer S } ? Infer<S> : never;

// The run's own types (run/control-types.ts) and the schemas describe the same values: checked here.
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const sameTypes: [
  Same<Infer<typeof ServiceStatus>, Run.ServiceStatus>,
  Same<Infer<typeof LogEntry>, Run.LogEntry>,
  Same<Infer<typeof RunEvent>, Run.RunEvent>,
  Same<Infer<typeof ActionDone> | Infer<typeof ActionRefused>, Run.ActionResult>,
  Same<Infer<typeof ServiceProcesses>, Run.ServiceProcesses>,
  Same<Infer<typeof RouteAnswer>, Plan.RouteAnswer>,
] = [true, true, true, true, true, true];
void sameTypes;
