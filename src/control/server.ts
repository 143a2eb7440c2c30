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

import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  statSync,
  unlinkSync,
} from "node:fs";
import type { Server as HttpServer, IncomingMessage, ServerResponse } from "node:http";
import { connect, createServer, type Server, type Socket } from "node:net";
import { UserError } from "../core/errors.js";
import { describeErrno } from "../core/files.js";
import type { RunControl } from "../run/control-types.js";
import { pids, readGone } from "../run/process-groups.js";
import { nodeHttp } from "../text/lazy-builtins.js";
import { type ControlHandler, type ControlHandlerOptions, createControlHandler } from "./handler.js";
import { ConnectionTrouble, refuseBadTarget, requestUrl, sendJson, serveContained } from "./http-answer.js";
import { API_VERSION, type InfoResponse } from "./protocol.js";
import { configFileIdentity, ensureRuntimeDir, socketPathFor } from "./runtime-dir.js";

/** A lock older than this was left by an `up` that died while claiming (claiming takes milliseconds). */
const STALE_LOCK_MS = 5_000;
const LOCK_RETRY_MS = 20;
/** How long a socket may take to accept a connection before it counts as not answering. */
const PROBE_TIMEOUT_MS = 2_000;
/** After closing, how long open connections get to finish before they are cut. */
const CLOSE_GRACE_MS = 1_000;
/** Open connections at most (each costs a descriptor); more are closed as soon as accepted. */
const MAX_SOCKET_CONNECTIONS = 128;

/** Another `up` is running for the same file. */
export interface RunningInstance {
  kind: "running";
  /** Its pid, when it said so. */
  pid: number | undefined;
  /** The config file's real path. */
  file: string;
  socketPath: string;
}

/** Something that is not mirrord-up holds the socket's path. */
export interface ForeignHolder {
  kind: "foreign";
  socketPath: string;
  /** What is there, as far as can be told: "pid 12 (python3), which answered HTTP 404". */
  what: string;
}

export type ClaimResult = { kind: "claimed"; socket: ControlSocket } | RunningInstance | ForeignHolder;

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
export function alreadyRunningError(running: RunningInstance | ForeignHolder): UserError {
  if (running.kind === "foreign") {
    return new UserError({
      message: `the control socket ${running.socketPath} is held by ${running.what}, which is not mirrord-up`,
      hint: "stop that program, or point mirrord-up elsewhere with XDG_RUNTIME_DIR; it is left alone",
    });
  }
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
  if (claim.kind !== "claimed") throw alreadyRunningError(claim);
  claim.socket.serve(control);
  return claim.socket;
}

/** Claims `socketPath` for `file` (its real path, for messages). */
export async function claimSocketPath(socketPath: string, file: string): Promise<ClaimResult> {
  const release = await lock(`${socketPath}.lock`);
  try {
    for (let attempt = 0; ; attempt++) {
      const state = await probe(socketPath);
      if (state === "answers") {
        const answer = await askInfo(socketPath);
        if (answer.kind === "mirrord-up") return { kind: "running", pid: answer.pid, file, socketPath };
        const holder = describeHolder(socketPath);
        // Silent: a mirrord-up too busy or stopped to answer, or something else that never will.
        if (answer.kind === "silent" && (!holder.known || holder.mirrordUp))
          return { kind: "running", pid: holder.pid, file, socketPath };
        const said =
          answer.kind === "silent" ? `did not answer within ${PROBE_TIMEOUT_MS / 1000} s` : answer.said;
        return { kind: "foreign", socketPath, what: `${holder.text}, which ${said}` };
      }
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

  /**
   * A connection that cannot be accepted (EMFILE: out of descriptors) is said; the socket goes on
   * serving the connections it has, and accepts again once it can.
   */
  readonly trouble = new ConnectionTrouble();

  static listen(socketPath: string, file: string): Promise<ControlSocket> {
    const server = createServer();
    server.maxConnections = MAX_SOCKET_CONNECTIONS;
    const socket = new ControlSocket(server, socketPath, file);
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(socketPath, () => {
        server.off("error", reject);
        server.on("error", (error: NodeJS.ErrnoException) =>
          socket.trouble.say(`the control socket cannot accept a connection: ${describeErrno(error.code)}`),
        );
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
      serveContained(req, res, (q, r) => this.route(q, r));
    });
    this.http.emit("connection", connection);
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const url = requestUrl(req);
    if (!url) {
      refuseBadTarget(req, res);
      return;
    }
    if (this.handler) {
      this.handler.handle(req, res, url);
      return;
    }
    req.resume();
    if (url.pathname === "/v1/info" && req.method === "GET") {
      const info: InfoResponse = { api: API_VERSION, pid: process.pid, file: this.file, starting: true };
      sendJson(res, 200, info);
    } else {
      sendJson(res, 503, { error: "mirrord-up is still starting", hint: "try again in a moment" });
    }
  }
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

type InfoAnswer = { kind: "mirrord-up"; pid: number } | { kind: "other"; said: string } | { kind: "silent" };

/**
 * Asks whoever holds the socket for `/v1/info`: a mirrord-up says its API version and pid;
 * anything else answered otherwise; `silent` when nothing came in time (a busy or stopped up).
 */
async function askInfo(socketPath: string): Promise<InfoAnswer> {
  return new Promise((resolve) => {
    const options = { socketPath, path: "/v1/info", agent: false, timeout: PROBE_TIMEOUT_MS };
    const req = nodeHttp().request(options, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        if (text.length < 64 * 1024) text += c;
      });
      res.on("end", () => {
        try {
          const info = JSON.parse(text) as Partial<InfoResponse>;
          if (typeof info.api === "number" && typeof info.pid === "number" && typeof info.file === "string") {
            resolve({ kind: "mirrord-up", pid: info.pid });
            return;
          }
        } catch {
          // not JSON: not ours
        }
        resolve({ kind: "other", said: `answered HTTP ${res.statusCode} without mirrord-up's information` });
      });
      res.on("error", () => resolve({ kind: "other", said: "cut its answer short" }));
    });
    req.on("timeout", () => {
      req.destroy();
      resolve({ kind: "silent" });
    });
    req.on("error", () => resolve({ kind: "other", said: "does not speak HTTP" }));
    req.end();
  });
}

interface Holder {
  /** "pid 12 (python3)", or why it cannot be told. */
  text: string;
  known: boolean;
  pid?: number;
  /** Its program or script is mirrord-up. */
  mirrordUp?: boolean;
}

/**
 * The process listening on `socketPath`, as well as this user can see it (Linux: the socket's
 * inode in /proc/net/unix, then the descriptor that points at it).
 */
function describeHolder(socketPath: string): Holder {
  const unknown = { text: "a program of another user, or one that cannot be identified", known: false };
  let inodes: Set<string>;
  try {
    // The listening socket and the connections it accepted all show the path.
    inodes = new Set(
      readFileSync("/proc/net/unix", "latin1")
        .split("\n")
        .map((line) => line.trim().split(/\s+/))
        .filter((fields) => fields[7] === socketPath)
        .map((fields) => `socket:[${fields[6]}]`),
    );
  } catch {
    return unknown; // not Linux
  }
  try {
    for (const pid of pids()) {
      if (pid === String(process.pid)) continue;
      const fds = readGone(() => readdirSync(`/proc/${pid}/fd`)) ?? [];
      const holds = fds.some((fd) => inodes.has(readGone(() => readlinkSync(`/proc/${pid}/fd/${fd}`)) ?? ""));
      if (!holds) continue;
      const comm = readGone(() => readFileSync(`/proc/${pid}/comm`, "utf8").trim());
      const argv = readGone(() => readFileSync(`/proc/${pid}/cmdline`, "latin1").split("\0"));
      if (comm === undefined || argv === undefined) continue;
      return {
        text: `pid ${pid} (${comm})`,
        known: true,
        pid: Number(pid),
        // Its program or script is mirrord-up (`node …/bin/mirrord-up.js up`).
        mirrordUp: argv.slice(0, 2).some((arg) => /(^|\/)mirrord-up(\.js)?$/.test(arg)),
      };
    }
  } catch {
    // out of descriptors even with the reserve: say less
  }
  return unknown;
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
