/**
 * The control API's request handler, separate from any listener: the Unix socket serves it as
 * is, the dashboard's loopback server puts its token check in front of it. See `protocol.ts`
 * for the routes and the stream framing.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { UserError } from "../config/diagnostics.js";
import { suggest } from "../config/suggest.js";
import type { ActionResult, RunControl } from "../run/control-types.js";
import {
  API_VERSION,
  type DashboardResponse,
  type EndFrame,
  type ErrorResponse,
  type InfoResponse,
  MAX_REQUEST_BODY_BYTES,
  MAX_STREAM_BACKLOG_BYTES,
} from "./protocol.js";

/** A request handler and the means to end what it still has open. */
export interface ControlHandler {
  handle(req: IncomingMessage, res: ServerResponse): void;
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
    const known = knownServices();
    const unknown = names.filter((n) => !known.includes(n));
    if (unknown.length === 0) return;
    const first = unknown[0] as string;
    const close = suggest(first, known);
    throw new HttpProblem(404, {
      error: `unknown service${unknown.length > 1 ? "s" : ""} ${unknown.map((n) => `"${n}"`).join(", ")}`,
      hint: `${close ? `did you mean "${close}"? ` : ""}services of this run: ${known.join(", ")}`,
    });
  }

  function refuseWhenEnding(): void {
    if (ended || stopping) {
      throw new HttpProblem(409, {
        error: "mirrord-up is stopping every service; it takes no more requests",
      });
    }
  }

  const action =
    (run: (services: string[]) => Promise<ActionResult>, options: { needsServices: boolean }): Route =>
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
      sendActionResult(res, await run(services));
    };

  const routes: Record<string, { method: "GET" | "POST"; route: Route }> = {
    "/v1/info": {
      method: "GET",
      route: (_req, res) => {
        const info: InfoResponse = { api: API_VERSION, ...control.info() };
        sendJson(res, 200, info);
      },
    },
    "/v1/services": {
      method: "GET",
      route: (_req, res) => sendJson(res, 200, { services: control.status() }),
    },
    "/v1/logs": {
      method: "GET",
      route: (req, res, url) => {
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
    },
    "/v1/events": {
      method: "GET",
      route: (req, res, url) => {
        openStream(req, res, control.events(), flagParam(url, "follow"), (push) =>
          control.followEvents(push),
        );
      },
    },
    "/v1/restart": {
      method: "POST",
      route: action((s) => control.restart(s), { needsServices: true }),
    },
    "/v1/stop": {
      method: "POST",
      route: action((s) => control.stop(s), { needsServices: true }),
    },
    "/v1/start": {
      method: "POST",
      route: action((s) => control.start(s), { needsServices: true }),
    },
    "/v1/reload": {
      method: "POST",
      route: async (req, res) => {
        await readJsonBody(req);
        refuseWhenEnding();
        sendActionResult(res, await control.reload());
      },
    },
    "/v1/dashboard": {
      method: "POST",
      route: async (req, res) => {
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
    },
    "/v1/down": {
      method: "POST",
      route: async (req, res) => {
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
    },
  };

  /**
   * Sends `initial`, then (with `follow`) every new item until the run ends, the reader goes
   * away, or the reader falls too far behind. Subscribing happens in the same tick as reading
   * `initial`, so nothing falls between the two.
   */
  function openStream<T>(
    req: IncomingMessage,
    res: ServerResponse,
    initial: readonly T[],
    follow: boolean,
    subscribe: (push: (item: T) => void) => () => void,
  ): void {
    res.writeHead(200, {
      "content-type": "application/x-ndjson; charset=utf-8",
      "cache-control": "no-store",
    });
    for (const item of initial) res.write(`${JSON.stringify(item)}\n`);
    if (!follow || ended) {
      res.end(`${JSON.stringify({ end: ended && follow ? "run-ended" : "complete" } satisfies EndFrame)}\n`);
      return;
    }
    let finished = false;
    const finish = (reason: EndFrame["end"]) => {
      if (finished) return;
      finished = true;
      streams.delete(finish);
      unsubscribe();
      if (!res.writableEnded && !res.destroyed)
        res.end(`${JSON.stringify({ end: reason } satisfies EndFrame)}\n`);
    };
    const unsubscribe = subscribe((item) => {
      if (finished) return;
      // A reader that does not keep up is cut off rather than buffered for without limit.
      if (res.writableLength > MAX_STREAM_BACKLOG_BYTES) finish("too-slow");
      else res.write(`${JSON.stringify(item)}\n`);
    });
    streams.add(finish);
    res.on("close", () => {
      finished = true;
      streams.delete(finish);
      unsubscribe();
    });
    req.resume();
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://mirrord-up");
    const entry = routes[url.pathname];
    if (!entry) {
      const close = suggest(url.pathname, Object.keys(routes));
      throw new HttpProblem(404, {
        error: `no such endpoint: ${url.pathname}`,
        ...(close ? { hint: `did you mean ${close}?` } : {}),
      });
    }
    if (req.method !== entry.method) {
      throw new HttpProblem(
        405,
        { error: `${url.pathname} takes ${entry.method} only` },
        { allow: entry.method },
      );
    }
    await entry.route(req, res, url);
  }

  return {
    handle(req, res) {
      dispatch(req, res).catch((error: unknown) => {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        if (error instanceof HttpProblem) {
          sendJson(res, error.status, error.body, error.headers);
          return;
        }
        const message = error instanceof Error ? error.message : String(error);
        sendJson(res, 500, { error: `internal error in mirrord-up: ${message}` });
      });
    },
    endStreams(reason) {
      for (const end of [...streams]) end(reason);
      for (const answer of [...downWaiters]) answer();
    },
  };
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
    "cache-control": "no-store",
    ...headers,
  });
  res.end(text);
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
