/**
 * Answering one HTTP request on the control socket or the dashboard. A request is the client's
 * business, never the run's: whatever it holds, and whatever goes wrong while it is served, it is
 * answered (4xx for what the client sent, 500 for a bug of ours) and the run goes on.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Trouble a listener meets with its connections (over its limit, cannot accept: EMFILE), told to
 * `listener` once per kind: it recurs for as long as it lasts.
 */
export class ConnectionTrouble {
  private readonly said = new Set<string>();
  listener?: (text: string) => void;

  say(text: string): void {
    if (this.said.has(text)) return;
    this.said.add(text);
    this.listener?.(text);
  }
}

/** The request's target as a URL; `undefined` when it is not one (`GET http://[ HTTP/1.1`). */
export function requestUrl(req: IncomingMessage): URL | undefined {
  try {
    return new URL(req.url ?? "/", "http://mirrord-up");
  } catch {
    return undefined;
  }
}

/** The answer to a request whose target is not a path. */
export function refuseBadTarget(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  sendJson(res, 400, { error: "the request target is not a valid path" });
}

export function sendJson(
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

/**
 * Serves one request with `route`, containing whatever it throws: a 500 naming the error while
 * nothing was sent yet, else the connection is cut (the client sees a stream without its end).
 */
export function serveContained(
  req: IncomingMessage,
  res: ServerResponse,
  route: (req: IncomingMessage, res: ServerResponse) => void,
): void {
  try {
    route(req, res);
  } catch (error) {
    answerFailure(req, res, error);
  }
}

/** A bug met while serving one request: that request fails, nothing else. */
export function answerFailure(req: IncomingMessage, res: ServerResponse, error: unknown): void {
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  req.resume();
  const message = error instanceof Error ? error.message : String(error);
  sendJson(res, 500, { error: `internal error in mirrord-up: ${message}` });
}
