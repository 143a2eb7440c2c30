/**
 * The control API of a running `up`: HTTP/1.1 with JSON bodies, on a Unix socket (and, for the
 * dashboard, on loopback HTTP). Its routes and messages are the contract in `contract.ts`
 * (published as docs/control-api.openapi.json); the types here are inferred from it.
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
import type { SCHEMAS } from "./contract.js";
import type { Infer } from "./schema.js";

export { API_VERSION } from "./contract.js";

export type InfoResponse = Infer<typeof SCHEMAS.InfoResponse>;
export type ServicesResponse = Infer<typeof SCHEMAS.ServicesResponse>;
/** Where the dashboard of a run is served; `url` holds the run's token in its fragment. */
export type DashboardResponse = Infer<typeof SCHEMAS.DashboardResponse>;
export type ErrorResponse = Infer<typeof SCHEMAS.ErrorResponse>;
/** `POST /v1/route`'s body: the request to decide. */
export type RouteRequest = Infer<typeof SCHEMAS.RouteRequest>;
/** `POST /v1/route`'s answer: per service steals / passes / cannot-tell, with the reasons. */
export type RouteAnswer = Infer<typeof SCHEMAS.RouteAnswer>;
/** One service as the dashboard's config view shows it (`GET /v1/configs`). */
export type ServiceConfigView = Infer<typeof SCHEMAS.ServiceConfigView>;
/** The last line of a stream that ended cleanly; `too-slow`: cut off past MAX_STREAM_BACKLOG_BYTES. */
export type EndFrame = Infer<typeof SCHEMAS.EndFrame>;

/** How much may be queued for one stream's reader before it is cut off (memory stays bounded). */
export const MAX_STREAM_BACKLOG_BYTES = 16 * 1024 * 1024;

/** Request bodies are tiny; anything larger is refused. */
export const MAX_REQUEST_BODY_BYTES = 64 * 1024;
