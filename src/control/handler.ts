/**
 * The control API's request handler, separate from any listener: the Unix socket serves it as
 * is, the dashboard's loopback server puts its token check in front of it. See `protocol.ts`
 * for the routes and the stream framing.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { constants } from "node:os";
import { UserError } from "../core/errors.js";
import { suggest } from "../core/suggest.js";
import { PlanError } from "../plan/problems.js";
import { routeForPlans } from "../plan/route-plan.js";
import type { ActionResult, RunControl } from "../run/control-types.js";
import { type HandlerPath, routeAt, SCHEMAS } from "./contract.js";
import { answerFailure, sendJson } from "./http-answer.js";
import {
  API_VERSION,
  type DashboardResponse,
  type EndFrame,
  type ErrorResponse,
  type InfoResponse,
  MAX_REQUEST_BODY_BYTES,
  MAX_STREAM_BACKLOG_BYTES,
  type RouteRequest as RouteRequestBody,
} from "./protocol.js";
import { schemaProblem } from "./schema.js";
import { unknownServices } from "./service-names.js";

const TOO_SLOW = `the reader fell ${MAX_STREAM_BACKLOG_BYTES / 1024 / 1024} MiB behind and was cut off`;
/** How long a reader that was cut off gets to read its last line before its connection is closed. */
const CUT_READER_GRACE_MS = 10_000;

/** A request handler and the means to end what it still has open. */
export interface ControlHandler {
  /** Serves a request whose target the listener has parsed (`requestUrl`). */
  handle(req: IncomingMessage, res: ServerResponse, url: URL): void;
  /** Ends every open stream with `{"end": reason}` and answers every waiting `down`. */
  endStreams(reason: EndFrame["end"]): void;
}

/** A request the handler refuses: a status and a JSON body. */
class HttpProblem extends Error {
  constructor(
    readonly status: number,
    readonly body: ErrorResponse,
    readonly headers: Record<string, string> = {},
  ) {
    super(body.error);
  }
}

type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

/** What the handler can do beyond `RunControl`, when the listener offers it. */
export interface ControlHandlerOptions {
  /** `POST /v1/dashboard`: serves the dashboard if it is not yet; resolves with its address. */
  dashboard?: (port: number | undefined) => Promise<DashboardResponse>;
}

export function createControlHandler(
  control: RunControl,
  options: ControlHandlerOptions = {},
): ControlHandler {
  const streams = new Set<(reason: EndFrame["end"]) => void>();
  const downWaiters = new Set<() => void>();
  let ended = false;
  let stopping = false;
  control.onEnded(() => {
    ended = true;
    for (const end of [...streams]) end("run-ended");
    for (const answer of [...downWaiters]) answer();
  });

  const knownServices = () => control.status().map((s) => s.name);

  /** Unknown names are refused with the closest known one, as `up` does for its arguments. */
  function checkServices(names: readonly string[]): void {
    const problem = unknownServices(names, knownServices());
    if (problem) throw new HttpProblem(404, problem);
  }

  function refuseWhenEnding(): void {
    if (ended || stopping) {
      throw new HttpProblem(409, {
        error: "mirrord-up is stopping every service; it takes no more requests",
      });
    }
  }

  const action =
    (
      run: (services: string[], body: Record<string, unknown>) => Promise<ActionResult>,
      options: { needsServices: boolean },
    ): Route =>
    async (req, res) => {
      const body = await readJsonBody(req);
      const services = servicesOf(body);
      if (options.needsServices && services.length === 0) {
        throw new HttpProblem(400, {
          error: "name at least one service",
          hint: `services of this run: ${knownServices().join(", ")}`,
        });
      }
      checkServices(services);
      refuseWhenEnding();
      sendActionResult(res, await run(services, body));
    };

  // Every route of the contract this handler serves, and no other (its methods come from there too).
  const routes: Record<HandlerPath, Route> = {
    "/v1/info": (_req, res) => {
      const info: InfoResponse = { api: API_VERSION, ...control.info() };
      sendJson(res, 200, info);
    },
    "/v1/services": (_req, res) => sendJson(res, 200, { services: control.status() }),
    "/v1/logs": (req, res, url) => {
      const services = url.searchParams.getAll("service");
      checkServices(services);
      const tail = tailParam(url);
      const wanted = services.length > 0 ? new Set(services) : undefined;
      const initial = tail === 0 ? [] : control.logs(services, tail);
      openStream(req, res, initial, flagParam(url, "follow"), (push) =>
        control.followLogs((entry) => {
          if (!wanted || wanted.has(entry.service)) push(entry);
        }),
      );
    },
    "/v1/events": (req, res, url) => {
      openStream(req, res, control.events(), flagParam(url, "follow"), (push) => control.followEvents(push));
    },
    "/v1/restart": action((s) => control.restart(s), { needsServices: true }),
    "/v1/kill": action((s, body) => control.kill(s, signalOf(body), groupOf(body)), { needsServices: true }),
    "/v1/top": (_req, res, url) => {
      const services = [...new Set(url.searchParams.getAll("service"))];
      checkServices(services);
      sendJson(res, 200, { services: control.top(services) });
    },
    "/v1/stop": action((s) => control.stop(s), { needsServices: true }),
    "/v1/start": action((s) => control.start(s), { needsServices: true }),
    "/v1/reload": async (req, res) => {
      await readJsonBody(req);
      refuseWhenEnding();
      sendActionResult(res, await control.reload());
    },
    "/v1/dashboard": async (req, res) => {
      const body = await readJsonBody(req);
      const port = body.port;
      if (
        port !== undefined &&
        !(Number.isInteger(port) && (port as number) >= 0 && (port as number) <= 65535)
      ) {
        throw new HttpProblem(400, { error: '"port" must be a port number (0 to 65535)' });
      }
      if (!options.dashboard)
        throw new HttpProblem(404, { error: "this listener does not serve a dashboard" });
      refuseWhenEnding();
      try {
        sendJson(res, 200, await options.dashboard(port as number | undefined));
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        const [first] = error.diagnostics;
        throw new HttpProblem(409, { error: error.message, ...(first?.hint && { hint: first.hint }) });
      }
    },
    "/v1/route": async (req, res) => {
      const body = await readJsonBody(req);
      const problem = schemaProblem(SCHEMAS.RouteRequest, body);
      if (problem) throw new HttpProblem(400, { error: `the route request: ${problem}` });
      const request = body as RouteRequestBody;
      checkServices(request.services ?? []);
      const plans = control.plans?.() ?? [];
      if (plans.length === 0)
        throw new HttpProblem(409, { error: "this run has no sessions yet (it is still preparing)" });
      try {
        sendJson(
          res,
          200,
          routeForPlans(plans, {
            services: request.services ?? [],
            request: { method: request.method, target: request.target, headers: request.headers },
            port: request.port,
            operator: request.operator,
          }),
        );
      } catch (error) {
        if (!(error instanceof PlanError)) throw error;
        const [first] = error.problems;
        throw new HttpProblem(400, { error: error.message, ...(first?.hint && { hint: first.hint }) });
      }
    },
    "/v1/down": async (req, res) => {
      await readJsonBody(req);
      const done = () => sendJson(res, 200, { ok: true, messages: ["every service has stopped"] });
      if (ended) {
        done();
        return;
      }
      // Answered once every session has stopped, so that `mirrord-up down` returns when it is over.
      const answer = () => {
        downWaiters.delete(answer);
        done();
      };
      downWaiters.add(answer);
      res.on("close", () => downWaiters.delete(answer));
      if (!stopping) {
        stopping = true;
        control.shutdown();
      }
    },
  };

  /**
   * Sends `initial`, then (with `follow`) every new item until the run ends, the reader goes
   * away, or the reader falls too far behind. Subscribing happens in the same tick as starting on
   * `initial`, so nothing falls between the two; what comes while `initial` is still being sent
   * waits behind it.
   *
   * What is queued for one reader stays bounded whatever it asked for: `initial` is taken (and
   * serialised) only as fast as the reader reads, so a reader that pauses (`logs | less`) costs
   * little and is never cut; followed items that pile up for it count against
   * MAX_STREAM_BACKLOG_BYTES, and past that it gets a last `too-slow` line and is closed.
   */
  function openStream<T>(
    req: IncomingMessage,
    res: ServerResponse,
    initial: Iterable<T>,
    follow: boolean,
    subscribe: (push: (item: T) => void) => () => void,
  ): void {
    res.writeHead(200, {
      "content-type": "application/x-ndjson; charset=utf-8",
      "cache-control": "no-store",
    });
    req.resume();
    const following = follow && !ended;
    let finished = false;
    let unsubscribe = () => {};
    let pending: Iterator<T> | undefined = initial[Symbol.iterator]();
    /** Followed items that came while `initial` was still being sent, as lines, from `head` on. */
    const waiting: string[] = [];
    let head = 0;
    let waitingBytes = 0;
    const stop = () => {
      finished = true;
      streams.delete(finish);
      unsubscribe();
      waiting.length = 0;
      head = 0;
      pending = undefined;
    };
    const finish = (reason: EndFrame["end"]) => {
      if (finished) return;
      stop();
      if (res.writableEnded || res.destroyed) return;
      if (reason !== "too-slow") {
        res.end(`${JSON.stringify({ end: reason } satisfies EndFrame)}\n`);
        return;
      }
      res.end(`${JSON.stringify({ end: reason, error: TOO_SLOW } satisfies EndFrame)}\n`);
      // Closed once it has read what is queued, or after a grace period if it never does.
      res.once("finish", () => req.socket.end());
      setTimeout(() => res.destroy(), CUT_READER_GRACE_MS).unref();
    };
    /** Would queueing `line` take this reader past the bound? One line alone always fits. */
    const overBound = (line: string) => {
      const queued = res.writableLength + waitingBytes;
      return queued > 0 && queued + line.length > MAX_STREAM_BACKLOG_BYTES;
    };
    /** Writes `initial`, then what waited, as fast as the reader takes it. */
    const pump = (): void => {
      while (!finished) {
        let line: string | undefined;
        const item = pending?.next();
        if (item && !item.done) line = `${JSON.stringify(item.value)}\n`;
        else if (head < waiting.length) {
          pending = undefined;
          line = waiting[head++] as string;
          waitingBytes -= line.length;
        } else {
          pending = undefined;
          waiting.length = 0;
          head = 0;
          if (!following) finish(ended && follow ? "run-ended" : "complete");
          return;
        }
        if (!res.write(line)) return;
      }
    };
    res.on("drain", pump);
    res.on("close", stop);
    if (following) {
      unsubscribe = subscribe((item) => {
        if (finished) return;
        const line = `${JSON.stringify(item)}\n`;
        if (overBound(line)) finish("too-slow");
        else if (pending || head < waiting.length) {
          waiting.push(line);
          waitingBytes += line.length;
        } else res.write(line);
      });
      streams.add(finish);
    }
    pump();
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const route = Object.hasOwn(routes, url.pathname) ? routes[url.pathname as HandlerPath] : undefined;
    const method = routeAt(url.pathname)?.method;
    if (!route || !method) {
      const close = suggest(url.pathname, Object.keys(routes));
      throw new HttpProblem(404, {
        error: `no such endpoint: ${url.pathname}`,
        ...(close ? { hint: `did you mean ${close}?` } : {}),
      });
    }
    if (req.method !== method) {
      throw new HttpProblem(405, { error: `${url.pathname} takes ${method} only` }, { allow: method });
    }
    await route(req, res, url);
  }

  return {
    handle(req, res, url) {
      dispatch(req, res, url).catch((error: unknown) => {
        if (error instanceof HttpProblem && !res.headersSent) {
          req.resume();
          sendJson(res, error.status, error.body, error.headers);
        } else {
          answerFailure(req, res, error);
        }
      });
    },
    endStreams(reason) {
      for (const end of [...streams]) end(reason);
      for (const answer of [...downWaiters]) answer();
    },
  };
}

/** `signal` of a kill: a name Node can send (`SIGTERM`); SIGKILL when absent. */
function signalOf(body: Record<string, unknown>): NodeJS.Signals {
  const signal = body.signal ?? "SIGKILL";
  if (
    typeof signal === "string" &&
    /^SIG[A-Z0-9]+$/.test(signal) &&
    Object.hasOwn(constants.signals, signal)
  ) {
    return signal as NodeJS.Signals;
  }
  throw new HttpProblem(400, { error: '"signal" must be the name of a signal, such as "SIGTERM"' });
}

function groupOf(body: Record<string, unknown>): boolean {
  if (body.group === undefined || typeof body.group === "boolean") return body.group === true;
  throw new HttpProblem(400, { error: '"group" must be true or false' });
}

function sendActionResult(res: ServerResponse, result: ActionResult): void {
  sendJson(res, result.ok ? 200 : 422, result);
}

/** `tail` per service: absent or `all` = everything buffered, else a non-negative integer. */
function tailParam(url: URL): number {
  const raw = url.searchParams.get("tail");
  if (raw === null || raw === "all") return Number.POSITIVE_INFINITY;
  if (!/^\d+$/.test(raw)) {
    throw new HttpProblem(400, { error: `tail must be a number of lines or "all", not "${raw}"` });
  }
  return Number(raw);
}

function flagParam(url: URL, name: string): boolean {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === "0" || raw === "false") return false;
  if (raw === "" || raw === "1" || raw === "true") return true;
  throw new HttpProblem(400, { error: `${name} must be 1 or 0, not "${raw}"` });
}

/** Reads a small JSON object body; an empty body is `{}`. */
async function readJsonBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  if (type !== "application/json") {
    req.resume();
    throw new HttpProblem(415, { error: "POST requests must have Content-Type: application/json" });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BODY_BYTES) {
      throw new HttpProblem(413, { error: `request body over ${MAX_REQUEST_BODY_BYTES} bytes` });
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8").trim();
  if (text === "") return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpProblem(400, { error: "the request body is not valid JSON" });
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new HttpProblem(400, { error: "the request body must be a JSON object" });
  }
  return body as Record<string, unknown>;
}

function servicesOf(body: Record<string, unknown>): string[] {
  const services = body.services ?? [];
  if (!Array.isArray(services) || !services.every((s) => typeof s === "string")) {
    throw new HttpProblem(400, { error: '"services" must be an array of service names' });
  }
  return [...new Set(services as string[])];
}
