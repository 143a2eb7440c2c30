/**
 * The control socket of a running `up`: claiming it (one `up` per config file), serving the
 * control API on it, and giving it up.
 *
 * Claiming: a socket that answers belongs to a running `up`, which is left alone; a socket that
 * does not answer is stale (its process is gone: SIGKILL, a crash) and is replaced, never
 * trusted. Checking and replacing happen under a lock (a directory, created atomically), so that
 * two `up`s started at once for the same file cannot both replace the same stale socket.
 *
 * The socket is bound as soon as it is claimed, before the sessions start: from then on a second
 * `up` for the same file is refused, and clients get `/v1/info` (with `starting: true`) and a
 * 503 for everything else until `serve()` hands the requests to the run.
 */

import { chmodSync, lstatSync, mkdirSync, rmdirSync, statSync, unlinkSync } from "node:fs";
import type { Server as HttpServer, IncomingMessage, ServerResponse } from "node:http";
import { connect, createServer, type Server, type Socket } from "node:net";
import { UserError } from "../config/diagnostics.js";
import { describeErrno } from "../config/regular-file.js";
import type { RunControl } from "../run/control-types.js";
import { nodeHttp } from "../text/lazy-builtins.js";
import { type ControlHandler, type ControlHandlerOptions, createControlHandler } from "./handler.js";
import { API_VERSION, type InfoResponse } from "./protocol.js";
import { configFileIdentity, ensureRuntimeDir, socketPathFor } from "./runtime-dir.js";

/** A lock older than this was left by an `up` that died while claiming (claiming takes milliseconds). */
const STALE_LOCK_MS = 5_000;
const LOCK_RETRY_MS = 20;
/** How long a socket may take to accept a connection before it counts as not answering. */
const PROBE_TIMEOUT_MS = 2_000;
/** After closing, how long open connections get to finish before they are cut. */
const CLOSE_GRACE_MS = 1_000;

/** Another `up` is running for the same file. */
export interface RunningInstance {
  kind: "running";
  /** Its pid, when it said so. */
  pid: number | undefined;
  /** The config file's real path. */
  file: string;
  socketPath: string;
}

export type ClaimResult = { kind: "claimed"; socket: ControlSocket } | RunningInstance;

/**
 * Claims the control socket for `configFile` (the `-f` value, default `mirrord-up.yaml`,
 * relative to `cwd`). Throws `UserError` when the runtime directory cannot be used.
 */
export async function claimControlSocket(
  configFile: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<ClaimResult> {
  const file = configFileIdentity(configFile, cwd);
  const dir = ensureRuntimeDir(env, cwd);
  return claimSocketPath(socketPathFor(dir, file), file);
}

/** The message for a second `up`: who is running, and what to use instead. */
export function alreadyRunningError(running: RunningInstance): UserError {
  return new UserError({
    message: `mirrord-up is already running for ${running.file}${running.pid ? ` (pid ${running.pid})` : ""}`,
    hint: "use `mirrord-up ps`, `logs`, `restart`, `stop` or `down` to steer it",
  });
}

/**
 * Claims the socket and serves `control` on it at once; throws `alreadyRunningError` when
 * another `up` holds it.
 */
export async function startControlServer(
  control: RunControl,
  socketPath: string,
  file = socketPath,
): Promise<ControlSocket> {
  const claim = await claimSocketPath(socketPath, file);
  if (claim.kind === "running") throw alreadyRunningError(claim);
  claim.socket.serve(control);
  return claim.socket;
}

/** Claims `socketPath` for `file` (its real path, for messages). */
export async function claimSocketPath(socketPath: string, file: string): Promise<ClaimResult> {
  const release = await lock(`${socketPath}.lock`);
  try {
    for (let attempt = 0; ; attempt++) {
      const state = await probe(socketPath);
      if (state === "answers") return { kind: "running", pid: await askPid(socketPath), file, socketPath };
      if (state === "stale") removeStale(socketPath);
      try {
        const socket = await ControlSocket.listen(socketPath, file);
        return { kind: "claimed", socket };
      } catch (error) {
        // Someone who does not take the lock (an older mirrord-up) got there first: look again.
        if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt >= 2)
          throw listenProblem(socketPath, error);
      }
    }
  } finally {
    release();
  }
}

/**
 * A claimed control socket: answers `info` until `serve()`, then the whole API. The socket is a
 * plain `net` server; the first connection creates the HTTP server that its connections are
 * handed to. That server never listens itself, so Node's header and request timeouts (checked by a
 * timer it starts on `listening`) do not apply: a client of this user's that sends half a request
 * keeps its connection until the run ends.
 */
export class ControlSocket {
  private handler?: ControlHandler;
  private closing?: Promise<void>;
  private http?: HttpServer;
  /** Every open connection, with how many of its requests are not answered yet. */
  private readonly connections = new Map<Socket, number>();

  private constructor(
    private readonly server: Server,
    readonly socketPath: string,
    readonly file: string,
  ) {
    server.on("connection", (connection: Socket) => this.accept(connection));
  }

  static listen(socketPath: string, file: string): Promise<ControlSocket> {
    const server = createServer();
    const socket = new ControlSocket(server, socketPath, file);
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(socketPath, () => {
        server.off("error", reject);
        // The directory (0700) is what keeps others out; the mode says the same on the socket.
        try {
          chmodSync(socketPath, 0o600);
        } catch {
          // removed under us; the next client or claim finds out
        }
        resolve(socket);
      });
    });
  }

  /** From now on requests go to `control`. */
  serve(control: RunControl, options: ControlHandlerOptions = {}): void {
    this.handler = createControlHandler(control, options);
  }

  /**
   * Ends open streams (with `{"end": "closing"}`), stops listening, removes the socket, and
   * resolves once every connection is closed: idle ones at once, the others when their answer is
   * sent, or after a short grace period.
   */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.handler?.endStreams("closing");
      this.server.close(() => resolve());
      for (const [connection, pending] of this.connections) if (pending === 0) connection.destroy();
      setTimeout(() => {
        for (const connection of this.connections.keys()) connection.destroy();
      }, CLOSE_GRACE_MS).unref();
    });
    return this.closing;
  }

  private accept(connection: Socket): void {
    this.connections.set(connection, 0);
    connection.once("close", () => this.connections.delete(connection));
    this.http ??= nodeHttp().createServer((req, res) => {
      const socket = req.socket;
      this.connections.set(socket, (this.connections.get(socket) ?? 0) + 1);
      res.once("close", () => {
        const pending = (this.connections.get(socket) ?? 1) - 1;
        if (this.connections.has(socket)) this.connections.set(socket, pending);
        if (this.closing && pending === 0) socket.destroy();
      });
      this.route(req, res);
    });
    this.http.emit("connection", connection);
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    if (this.handler) {
      this.handler.handle(req, res);
      return;
    }
    const path = new URL(req.url ?? "/", "http://mirrord-up").pathname;
    req.resume();
    if (path === "/v1/info" && req.method === "GET") {
      const info: InfoResponse = { api: API_VERSION, pid: process.pid, file: this.file, starting: true };
      respond(res, 200, info);
    } else {
      respond(res, 503, { error: "mirrord-up is still starting", hint: "try again in a moment" });
    }
  }
}

function respond(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * `answers`: a live process holds the socket (it accepted the connection, or its backlog is full,
 * or it is too busy or stopped to accept in time). `stale`: the path exists but nothing listens
 * (ECONNREFUSED), or it is not a socket at all. `absent`.
 */
async function probe(socketPath: string): Promise<"answers" | "stale" | "absent"> {
  try {
    lstatSync(socketPath);
  } catch {
    return "absent";
  }
  return new Promise((resolve, reject) => {
    const conn = connect({ path: socketPath });
    const timer = setTimeout(() => {
      conn.destroy();
      resolve("answers");
    }, PROBE_TIMEOUT_MS);
    conn.once("connect", () => {
      clearTimeout(timer);
      conn.destroy();
      resolve("answers");
    });
    conn.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === "ENOENT") resolve("absent");
      else if (error.code === "ECONNREFUSED" || error.code === "ENOTSOCK") resolve("stale");
      else if (error.code === "EAGAIN") resolve("answers");
      else reject(listenProblem(socketPath, error));
    });
  });
}

/** Asks a running `up` for its pid, for the message; undefined when it does not say in time. */
async function askPid(socketPath: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const options = { socketPath, path: "/v1/info", agent: false, timeout: PROBE_TIMEOUT_MS };
    const req = nodeHttp().request(options, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        text += c;
      });
      res.on("end", () => {
        try {
          const pid = (JSON.parse(text) as Partial<InfoResponse>).pid;
          resolve(typeof pid === "number" ? pid : undefined);
        } catch {
          resolve(undefined);
        }
      });
      res.on("error", () => resolve(undefined));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
    req.end();
  });
}

function removeStale(socketPath: string): void {
  try {
    unlinkSync(socketPath);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return;
    throw new UserError({
      message: `cannot remove the stale control socket ${socketPath}: ${describeErrno(code)}`,
      hint: "remove it by hand; no mirrord-up answers on it",
    });
  }
}

function listenProblem(socketPath: string, error: unknown): UserError {
  return new UserError({
    message: `cannot listen on the control socket ${socketPath}: ${describeErrno((error as NodeJS.ErrnoException).code)}`,
  });
}

/** Takes the claim lock (a directory next to the socket); returns the function that releases it. */
async function lock(path: string): Promise<() => void> {
  for (;;) {
    try {
      mkdirSync(path, { mode: 0o700 });
      return () => {
        try {
          rmdirSync(path);
        } catch {
          // already gone
        }
      };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "EEXIST") throw listenProblem(path, error);
    }
    try {
      if (Date.now() - statSync(path).mtimeMs > STALE_LOCK_MS) rmdirSync(path);
    } catch {
      // released meanwhile
    }
    await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_MS));
  }
}
