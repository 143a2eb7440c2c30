/**
 * What `ps`, `logs`, `restart` & co. call: finds the running `up` for a config file (by the same
 * `-f` rules as `up`) and talks to it over its Unix socket.
 */
import { existsSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { createConnection } from "node:net";
import { relative } from "node:path";
import { DEFAULT_CONFIG_FILE } from "../config/default-file.js";
import { type Diagnostic, ExitCode, UserError } from "../core/errors.js";
import { nodeHttp } from "../text/lazy-builtins.js";
import { type EndFrame, type ErrorResponse, isEndFrame } from "./protocol.js";
import { configFileIdentity, existingRuntimeDir, socketPathFor } from "./runtime-dir.js";

/** Where a running `up` for a config file would listen. */
export interface Instance {
  /** The config file's real path. */
  file: string;
  /** How to name the file to the user (as given, or relative to the working directory). */
  shownFile: string;
  /** The `-f` to repeat in hints; undefined for the default file. */
  configFlag: string | undefined;
  /** Undefined when the runtime directory does not exist (nothing can be running). */
  socketPath: string | undefined;
}

export function locateInstance(
  configFile: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Instance {
  const file = configFileIdentity(configFile, cwd);
  const dir = existingRuntimeDir(env, cwd);
  const given = configFile ?? DEFAULT_CONFIG_FILE;
  const rel = relative(cwd, file);
  return {
    file,
    shownFile: rel && !rel.startsWith("..") ? rel : file,
    configFlag: given === DEFAULT_CONFIG_FILE ? undefined : given,
    socketPath: dir ? socketPathFor(dir, file) : undefined,
  };
}

/** An answer of the control API. */
export interface Reply<T> {
  status: number;
  body: T;
}

/** Talks to one running `up`. Every failure is a `UserError` with a message for the user. */
export class ControlClient {
  constructor(readonly instance: Instance) {}

  async get<T>(path: string): Promise<T> {
    const reply = await this.send<T>("GET", path);
    return this.accept(reply).body;
  }

  /** A POST; an action that failed (422, `{ok: false}`) is returned, not thrown. */
  async post<T>(path: string, body: unknown): Promise<Reply<T>> {
    const reply = await this.send<T>("POST", path, body);
    return reply.status === 422 ? reply : this.accept(reply);
  }

  /**
   * Reads an NDJSON stream: `onFrame` gets every value but the end frame (return false to
   * pause reading until `resume` is called). Resolves with the end frame, or undefined when
   * `abort` was called. A stream cut without an end frame means mirrord-up went away.
   */
  stream(
    path: string,
    onFrame: (value: unknown) => void,
    options: { signal?: AbortSignal } = {},
  ): { done: Promise<EndFrame | undefined>; pause(): void; resume(): void } {
    let response: IncomingMessage | undefined;
    let paused = false;
    const done = new Promise<EndFrame | undefined>((resolve, reject) => {
      const req = this.request("GET", path, (res) => {
        response = res;
        if (paused) res.pause();
        if (res.statusCode !== 200) {
          collect(res).then(
            (text) => reject(this.problem(res.statusCode ?? 0, parseJson(text))),
            () => reject(this.lost()),
          );
          return;
        }
        let end: EndFrame | undefined;
        let rest = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          const lines = (rest + chunk).split("\n");
          rest = lines.pop() ?? "";
          for (const line of lines) {
            if (line === "") continue;
            const value = parseJson(line);
            if (value === undefined) {
              res.destroy();
              reject(this.garbled());
              return;
            }
            if (isEndFrame(value)) end = value;
            else onFrame(value);
          }
        });
        res.on("end", () => (end ? resolve(end) : reject(this.lost())));
        res.on("error", () => (options.signal?.aborted ? resolve(undefined) : reject(this.lost())));
      });
      req.on("error", (error: NodeJS.ErrnoException) => {
        if (options.signal?.aborted) resolve(undefined);
        else reject(this.connectProblem(error));
      });
      options.signal?.addEventListener("abort", () => {
        req.destroy();
        resolve(undefined);
      });
      req.end();
    });
    return {
      done,
      pause: () => {
        paused = true;
        response?.pause();
      },
      resume: () => {
        paused = false;
        response?.resume();
      },
    };
  }

  private send<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<Reply<T>> {
    return new Promise((resolve, reject) => {
      const req = this.request(method, path, (res) => {
        collect(res).then(
          (text) => {
            const parsed = parseJson(text);
            if (parsed === undefined) reject(this.lost());
            else resolve({ status: res.statusCode ?? 0, body: parsed as T });
          },
          () => reject(this.lost()),
        );
      });
      req.on("error", (error: NodeJS.ErrnoException) => reject(this.connectProblem(error)));
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  private request(method: string, path: string, onResponse: (res: IncomingMessage) => void) {
    const socketPath = this.instance.socketPath;
    if (!socketPath) throw notRunning(this.instance);
    return nodeHttp().request(
      {
        path,
        method,
        // The connection made here, without an agent: one request per connection, and none of
        // the agent's host-name handling (compiling its IPv6 pattern alone costs ~5 ms a command).
        createConnection: () => createConnection(socketPath),
        headers: method === "POST" ? { "content-type": "application/json" } : {},
      },
      onResponse,
    );
  }

  private accept<T>(reply: Reply<T>): Reply<T> {
    if (reply.status >= 200 && reply.status < 300) return reply;
    throw this.problem(reply.status, reply.body);
  }

  private problem(status: number, body: unknown): UserError {
    const { error, hint } = (body ?? {}) as Partial<ErrorResponse>;
    const diagnostic: Diagnostic = {
      message: typeof error === "string" ? error : `mirrord-up answered with status ${status}`,
      ...(typeof hint === "string" ? { hint } : {}),
    };
    // 4xx: what was asked cannot be done (an unknown service); 5xx: a bug on the other side.
    return new UserError(diagnostic, status >= 500 ? ExitCode.internal : ExitCode.usage);
  }

  private connectProblem(error: NodeJS.ErrnoException): UserError {
    if (error.code === "ENOENT" || error.code === "ECONNREFUSED") return notRunning(this.instance);
    if (error.code === "ECONNRESET" || error.code === "EPIPE") return this.lost();
    return new UserError(
      { message: `cannot reach mirrord-up for ${this.instance.shownFile}: ${error.code ?? error.message}` },
      ExitCode.internal,
    );
  }

  private garbled(): UserError {
    return new UserError(
      { message: `mirrord-up for ${this.instance.shownFile} sent something that is not its protocol` },
      ExitCode.internal,
    );
  }

  /** The connection broke mid-answer: the `up` ended (or crashed) meanwhile. */
  private lost(): UserError {
    return new UserError(
      {
        message: `mirrord-up for ${this.instance.shownFile} went away before it answered (its run has ended)`,
      },
      ExitCode.internal,
    );
  }
}

/** `no mirrord-up is running for <file>`, with how to start one. */
export function notRunning(instance: Instance): UserError {
  const flag = instance.configFlag ? ` -f ${instance.configFlag}` : "";
  const missing = !existsSync(instance.file);
  return new UserError({
    message: `no mirrord-up is running for ${instance.shownFile}${missing ? " (the file does not exist)" : ""}`,
    hint: missing ? "name the file with -f PATH" : `start one with \`mirrord-up${flag}\``,
  });
}

function collect(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => {
      text += chunk;
    });
    res.on("end", () => resolve(text));
    res.on("error", reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
