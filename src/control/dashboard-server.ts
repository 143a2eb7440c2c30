/**
 * The dashboard's web server: the control API (the same handler as the Unix socket) on loopback
 * HTTP, behind a token, plus the page, its script and its style sheet, served from memory.
 *
 * The socket is protected by its directory; a TCP port is open to every local user and every web
 * page the browser has open, so:
 * - it listens on 127.0.0.1 only;
 * - a `Host` other than `127.0.0.1:<port>` or `localhost:<port>` is refused (403) on every path,
 *   so a DNS-rebound name cannot reach it from a foreign page;
 * - every API request and stream needs the run's token (256 random bits, fresh per run) in a
 *   header (`Authorization: Bearer` or `X-Mirrord-Up-Token`), compared in constant time. A
 *   header, not a cookie: a foreign page cannot make the browser send it, and it never appears
 *   in a URL the server sees (it travels in the fragment, which the page moves into the tab's
 *   sessionStorage). The page, script and style sheet hold nothing secret and need no token;
 * - connecting needs no token, so connections are few (MAX_DASHBOARD_CONNECTIONS) and must send
 *   their request in time: one local user cannot take the run's descriptors;
 * - no CORS headers, and a request with a foreign `Origin` is refused; state changes are POSTs
 *   with `Content-Type: application/json` (the handler's rule), which a form cannot send;
 * - a strict Content-Security-Policy (no inline script or style), nosniff, no referrer, no framing.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { UserError } from "../core/errors.js";
import { describeErrno } from "../core/files.js";
import type { SessionPlan } from "../plan/assemble.js";
import { localAddress, shellQuote } from "../run/banner.js";
import type { RunControl } from "../run/control-types.js";
import { nodeCrypto, nodeHttp } from "../text/lazy-builtins.js";
import { type DashboardAssets, dashboardAssets } from "./dashboard-assets.js";
import { type ControlHandler, createControlHandler } from "./handler.js";
import { ConnectionTrouble, refuseBadTarget, requestUrl, sendJson, serveContained } from "./http-answer.js";
import type { DashboardResponse, ServiceConfigView } from "./protocol.js";

const HOST = "127.0.0.1";
/** After closing, how long open connections (streams) get before they are cut. */
const CLOSE_GRACE_MS = 500;
/**
 * Open connections at most: a page uses a handful (a browser opens up to six per host), and
 * any local user can connect without the token, so more would let one take every descriptor.
 */
export const MAX_DASHBOARD_CONNECTIONS = 32;
/** A client gets this long to send a request's headers, and then its body. */
const HEADERS_TIMEOUT_MS = 10_000;
const REQUEST_TIMEOUT_MS = 20_000;
/** An idle kept-alive connection is closed after this long. */
const KEEP_ALIVE_MS = 5_000;
/** What stands for a hidden value in the config view. */
const MASK = "••••••";

/** Headers on every answer, the refusals included. */
const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "x-frame-options": "DENY",
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
};

/** A dashboard being served. */
export class DashboardServer {
  private readonly handler: ControlHandler;
  private readonly tokenDigest: Buffer;
  private closing?: Promise<void>;

  private constructor(
    private readonly server: Server,
    private readonly control: RunControl,
    private readonly assets: DashboardAssets,
    private readonly token: string,
    readonly port: number,
  ) {
    this.handler = createControlHandler(control);
    this.tokenDigest = digest(token);
    server.on("request", (req: IncomingMessage, res: ServerResponse) =>
      serveContained(req, res, (q, r) => this.route(q, r)),
    );
    // Node closes a connection over the limit as soon as it is accepted.
    server.on("drop", () =>
      this.trouble.say(
        `more than ${MAX_DASHBOARD_CONNECTIONS} connections at once; further ones are refused`,
      ),
    );
    // Accepting failed (EMFILE): the connections it has are served, new ones wait.
    server.on("error", (error: NodeJS.ErrnoException) =>
      this.trouble.say(`cannot accept a connection: ${describeErrno(error.code)}`),
    );
  }

  /** Connections refused over the limit, or that cannot be accepted. */
  readonly trouble = new ConnectionTrouble();

  /**
   * Listens on 127.0.0.1:`port` (0: a free one). Throws `UserError` when the port cannot be used.
   */
  static async listen(control: RunControl, port = 0): Promise<DashboardServer> {
    const assets = await dashboardAssets();
    const server = nodeHttp().createServer({
      headersTimeout: HEADERS_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      keepAliveTimeout: KEEP_ALIVE_MS,
      // Checks the two timeouts above; Node's default looks every 30 s.
      connectionsCheckingInterval: 1_000,
    });
    server.maxConnections = MAX_DASHBOARD_CONNECTIONS;
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error: NodeJS.ErrnoException) =>
        reject(
          new UserError({
            message: `cannot serve the dashboard on ${HOST}:${port}: ${describeErrno(error.code)}`,
            hint: "choose another port with --dashboard-port, or leave it out for a free one",
          }),
        ),
      );
      server.listen({ host: HOST, port, exclusive: true }, () => resolve());
    });
    const bound = (server.address() as AddressInfo).port;
    // 256 bits; base64url needs no escaping in a URL fragment or a header.
    return new DashboardServer(
      server,
      control,
      assets,
      nodeCrypto().randomBytes(32).toString("base64url"),
      bound,
    );
  }

  /** The address to open: the token travels in the fragment, which browsers never send. */
  get url(): string {
    return `http://${HOST}:${this.port}/#token=${this.token}`;
  }

  /** Ends open streams, stops listening, and resolves once every connection is closed. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.handler.endStreams("closing");
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      setTimeout(() => this.server.closeAllConnections(), CLOSE_GRACE_MS).unref();
    });
    return this.closing;
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    const allowed = [`${HOST}:${this.port}`, `localhost:${this.port}`];
    if (!allowed.includes((req.headers.host ?? "").toLowerCase())) {
      refuse(req, res, 403, "this dashboard answers only to http://127.0.0.1:<port>/");
      return;
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !allowed.some((a) => origin.toLowerCase() === `http://${a}`)) {
      refuse(req, res, 403, "requests from other sites are refused");
      return;
    }
    const url = requestUrl(req);
    if (!url) {
      refuseBadTarget(req, res);
      return;
    }
    const path = url.pathname;
    if (path.startsWith("/v1/")) {
      if (!this.authorized(req)) {
        res.setHeader("www-authenticate", 'Bearer realm="mirrord-up"');
        refuse(req, res, 401, "this needs the run's token: open the address `mirrord-up dashboard` prints");
        return;
      }
      // The dashboard starts dashboards through the socket only (this one is already there).
      if (path === "/v1/dashboard") refuse(req, res, 404, "no such endpoint: /v1/dashboard");
      else if (path === "/v1/configs") this.configs(req, res, url);
      else this.handler.handle(req, res, url);
      return;
    }
    const asset = this.asset(path);
    if (!asset) {
      refuse(req, res, 404, "not found");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("allow", "GET, HEAD");
      refuse(req, res, 405, `${path} takes GET only`);
      return;
    }
    req.resume();
    res.writeHead(200, {
      "content-type": asset.type,
      "content-length": Buffer.byteLength(asset.body),
      "cache-control": "no-cache",
    });
    res.end(req.method === "HEAD" ? undefined : asset.body);
  }

  private asset(path: string): { type: string; body: string } | undefined {
    switch (path) {
      case "/":
      case "/index.html":
        return { type: "text/html; charset=utf-8", body: this.assets.html };
      case "/app.js":
        return { type: "text/javascript; charset=utf-8", body: this.assets.js };
      case "/app.css":
        return { type: "text/css; charset=utf-8", body: this.assets.css };
      case "/favicon.ico":
        // An empty answer rather than a 404 in the browser's console.
        return { type: "image/x-icon", body: "" };
      default:
        return undefined;
    }
  }

  private authorized(req: IncomingMessage): boolean {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "")?.[1];
    const header = req.headers["x-mirrord-up-token"];
    const given = bearer ?? (typeof header === "string" ? header.trim() : undefined);
    // Digests have one length, so the comparison takes the same time whatever was sent.
    return given !== undefined && nodeCrypto().timingSafeEqual(digest(given), this.tokenDigest);
  }

  /** `GET /v1/configs[?reveal=1]`: each service's command and mirrord.json, values masked. */
  private configs(req: IncomingMessage, res: ServerResponse, url: URL): void {
    req.resume();
    if (req.method !== "GET") {
      res.setHeader("allow", "GET");
      refuse(req, res, 405, "/v1/configs takes GET only");
      return;
    }
    const reveal = url.searchParams.get("reveal") === "1";
    const header = this.control.info().sessionHeader;
    const services = (this.control.plans?.() ?? []).map((plan) => describeForDashboard(plan, header, reveal));
    sendJson(res, 200, { services });
  }
}

/**
 * A service's command and configuration as the dashboard shows them: `env.override` values (the
 * ones that may hold secrets) replaced by `MASK` unless `reveal`.
 */
function describeForDashboard(
  plan: SessionPlan,
  sessionHeader: string | undefined,
  reveal: boolean,
): ServiceConfigView {
  const mask = (values: Record<string, unknown>) =>
    reveal ? values : Object.fromEntries(Object.keys(values).map((k) => [k, MASK]));
  const view: ServiceConfigView = { name: plan.name, type: plan.type, command: plan.command };
  if (plan.type === "local") {
    if (Object.keys(plan.env).length > 0) view.env = mask(plan.env) as Record<string, string>;
  } else if (plan.mirrordConfig) {
    const config = structuredClone(plan.mirrordConfig) as { feature?: { env?: { override?: unknown } } };
    const override = config.feature?.env?.override;
    if (override && typeof override === "object" && config.feature?.env) {
      config.feature.env.override = mask(override as Record<string, unknown>);
    }
    view.config = config;
  }
  const curl = curlExample(plan, sessionHeader);
  if (curl) view.curl = curl;
  return view;
}

/** The banner's curl line, per service: the header when it uses the session filter. */
function curlExample(plan: SessionPlan, sessionHeader: string | undefined): string | undefined {
  const local = localAddress(plan);
  if (plan.type === "local") return local ? `curl ${local}` : undefined;
  // The cluster address is the target's service, which mirrord-up does not know: its name is a guess.
  const targetName = plan.mirrordConfig?.target?.path?.split("/").at(-1) ?? plan.name;
  const address = local ?? `http://${targetName}/`;
  return plan.usesSessionFilter && sessionHeader
    ? `curl -H ${shellQuote(sessionHeader)} ${address}`
    : `curl ${address}`;
}

function digest(text: string): Buffer {
  return nodeCrypto().createHash("sha256").update(text).digest();
}

function refuse(req: IncomingMessage, res: ServerResponse, status: number, error: string): void {
  req.resume();
  sendJson(res, status, { error });
}

/**
 * The dashboard of one run: started on the first request (`up --dashboard`, or `mirrord-up
 * dashboard` through the socket), then the same one for every later request.
 */
export class DashboardHost {
  private serving?: Promise<DashboardServer>;

  /** `announce` is called once, with the address, when the dashboard starts. */
  /** `warn` is told of trouble with connections (over the limit, or not accepted). */
  constructor(
    private readonly control: RunControl,
    private readonly announce: (url: string) => void,
    private readonly warn: (text: string) => void = () => {},
  ) {}

  /** Serves the dashboard if it is not yet (on `port`, default a free one). */
  async open(port?: number): Promise<DashboardResponse> {
    if (this.serving) return { url: (await this.serving).url, started: false };
    const serving = DashboardServer.listen(this.control, port);
    this.serving = serving;
    try {
      const server = await serving;
      server.trouble.listener = (text) => this.warn(`dashboard: ${text}`);
      this.announce(server.url);
      return { url: server.url, started: true };
    } catch (error) {
      this.serving = undefined;
      throw error;
    }
  }

  async close(): Promise<void> {
    const serving = this.serving;
    this.serving = undefined;
    await serving?.then((s) => s.close()).catch(() => {});
  }
}
