/**
 * The control API of a running `up`: HTTP/1.1 with JSON bodies, on a Unix socket (and, for the
 * dashboard, on loopback HTTP). Version 1, every path under `/v1`.
 *
 * | request | answer |
 * | --- | --- |
 * | `GET /v1/info` | `InfoResponse` |
 * | `GET /v1/services` | `ServicesResponse` (what `ps` shows) |
 * | `GET /v1/logs?service=a&service=b&tail=N&follow=1` | an NDJSON stream of `LogEntry`, then an `EndFrame` |
 * | `GET /v1/events?follow=1` | an NDJSON stream of `RunEvent`, then an `EndFrame` |
 * | `POST /v1/restart`, `/v1/stop`, `/v1/start` with `{"services": [...]}` | `ActionResult` |
 * | `POST /v1/reload` | `ActionResult` |
 * | `POST /v1/down` | `ActionResult`, sent once every session has stopped |
 * | `POST /v1/dashboard` with `{"port"?: N}` | `DashboardResponse` (serves the dashboard if it is not yet) |
 *
 * Every POST must say `Content-Type: application/json` (a browser cannot send that across
 * origins without asking first, which keeps the dashboard's handlers safe from other pages).
 * Errors are `ErrorResponse` with a 4xx status (5xx: a bug); an action that was understood but
 * failed (an invalid file on reload) is `{ok: false, errors}` with status 422.
 *
 * Streams (`application/x-ndjson`): one JSON value per line. A `LogEntry`'s `text` holds the
 * service's bytes as a latin1 string (one character per byte), so any byte sequence, invalid
 * UTF-8 included, survives JSON and is turned back into the same bytes with
 * `Buffer.from(text, "latin1")`. A stream that ends cleanly ends with one `EndFrame`; a stream
 * without one was cut (mirrord-up died).
 */
import type { ServiceStatus } from "../run/control-types.js";

export const API_VERSION = 1;

export interface InfoResponse {
  api: typeof API_VERSION;
  /** The pid of the `up` process. */
  pid: number;
  /** The config file's real path. */
  file: string;
  /** Absent while `up` is still preparing (loading the file, asking the cluster). */
  key?: string;
  started?: string;
  /** The header to send, when a service uses the session filter (`baggage: mirrord-session=alice`). */
  sessionHeader?: string;
  /** True while `up` has claimed the socket but not yet started its sessions. */
  starting?: boolean;
}

export interface ServicesResponse {
  services: ServiceStatus[];
}

/** Where the dashboard of a run is served; `url` holds the run's token in its fragment. */
export interface DashboardResponse {
  url: string;
  /** True when this request started it; false when it was already served. */
  started: boolean;
}

export interface ActionRequest {
  services?: string[];
}

export interface ErrorResponse {
  error: string;
  hint?: string;
}

/**
 * The last line of a stream that ended cleanly:
 * - `complete`: everything asked for was sent (no `follow`);
 * - `run-ended`: the run is over, nothing more will come;
 * - `closing`: mirrord-up is closing its control socket;
 * - `too-slow`: the reader fell more than `MAX_STREAM_BACKLOG_BYTES` behind and was cut off
 *   (`error` says so); its connection closes once it has read this line.
 */
export interface EndFrame {
  end: "complete" | "run-ended" | "closing" | "too-slow";
  error?: string;
}

/** How much may be queued for one stream's reader before it is cut off (memory stays bounded). */
export const MAX_STREAM_BACKLOG_BYTES = 16 * 1024 * 1024;

/** Request bodies are tiny; anything larger is refused. */
export const MAX_REQUEST_BODY_BYTES = 64 * 1024;

export function isEndFrame(value: unknown): value is EndFrame {
  return typeof value === "object" && value !== null && typeof (value as EndFrame).end === "string";
}
