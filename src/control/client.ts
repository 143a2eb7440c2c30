/**
 * What `ps`, `logs`, `restart` & co. call: finds the running `up` for a config file (by the same
 * `-f` rules as `up`) and talks to it over its Unix socket. Every answer is checked against the
 * contract (`contract.ts`) before it is used: an `up` of another protocol version is named as
 * such, instead of failing later on a missing field.
 */
import { existsSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import { createConnection } from "node:net";
import { DEFAULT_CONFIG_FILE } from "../config/default-file.js";
import { ExitCode, UserError } from "../core/errors.js";
import { shownPath } from "../core/files.js";
import { nodeHttp } from "../text/lazy-builtins.js";
import {
  API_VERSION,
  INFO_PATH,
  type JsonGetPath,
  type PostPath,
  type RefusedAt,
  type RequestAt,
  type ResponseAt,
  type RouteContract,
  routeAt,
  SCHEMAS,
  type StreamPath,
} from "./contract.js";
import type { EndFrame, ErrorResponse } from "./protocol.js";
import { configFileIdentity, existingRuntimeDir, socketPathFor } from "./runtime-dir.js";
import { schemaProblem } from "./schema.js";

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
  return {
    file,
    shownFile: shownPath(file, cwd),
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

  async get<P extends JsonGetPath>(path: P, query?: URLSearchParams): Promise<ResponseAt<P>> {
    const search = query === undefined ? "" : String(query);
    const reply = await this.send("GET", search ? `${path}?${search}` : path);
    return (await this.checked(path, reply)).body as ResponseAt<P>;
  }

  /** A POST; an action that failed (422, `{ok: false}`) is returned, not thrown. */
  async post<P extends PostPath>(path: P, body: RequestAt<P>): Promise<Reply<ResponseAt<P> | RefusedAt<P>>> {
    const reply = await this.send("POST", path, body);
    return (await this.checked(path, reply)) as Reply<ResponseAt<P> | RefusedAt<P>>;
  }

  /**
   * Reads an NDJSON stream: `onFrame` gets every item (return false to pause reading until
   * `resume` is called). Resolves with the end frame, or undefined when `abort` was called. A
   * stream cut without an end frame means mirrord-up went away.
   */
  stream<P extends StreamPath>(
    path: P,
    query: string | URLSearchParams,
    onFrame: (item: ResponseAt<P>) => void,
    options: { signal?: AbortSignal } = {},
  ): { done: Promise<EndFrame | undefined>; pause(): void; resume(): void } {
    const route = routeAt(path) as RouteContract;
    const search = String(new URLSearchParams(query));
    let response: IncomingMessage | undefined;
    let paused = false;
    const done = new Promise<EndFrame | undefined>((resolve, reject) => {
      const req = this.request("GET", search ? `${path}?${search}` : path, (res) => {
        response = res;
        if (paused) res.pause();
        if (res.statusCode !== 200) {
          collect(res).then(
            (text) =>
              this.checked(path, { status: res.statusCode ?? 0, body: parseJson(text) }).then(reject, reject),
            () => reject(this.lost()),
          );
          return;
        }
        let end: EndFrame | undefined;
        let rest = "";
        let failed = false;
        /** Stops reading and rejects with `error` (what the cut connection then reports is not news). */
        const fail = (error: Promise<UserError> | UserError) => {
          failed = true;
          res.removeAllListeners("data");
          res.destroy();
          Promise.resolve(error).then(reject, reject);
        };
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          const lines = (rest + chunk).split("\n");
          rest = lines.pop() ?? "";
          for (const line of lines) {
            if (line === "" || end) continue;
            const value = parseJson(line);
            if (value === undefined) return fail(this.garbled());
            const isEnd = typeof value === "object" && value !== null && "end" in value;
            const problem = schemaProblem(isEnd ? SCHEMAS.EndFrame : route.response, value);
            if (problem) return fail(this.mismatch(route, `a line of its stream: ${problem}`));
            if (isEnd) end = value as EndFrame;
            else onFrame(value as ResponseAt<P>);
          }
        });
        res.on("end", () => {
          if (end) resolve(end);
          else if (!failed) reject(this.lost());
        });
        res.on("error", () => {
          if (options.signal?.aborted) resolve(undefined);
          else if (!failed) reject(this.lost());
        });
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

  private send(method: "GET" | "POST", path: string, body?: unknown): Promise<Reply<unknown>> {
    return new Promise((resolve, reject) => {
      const req = this.request(method, path, (res) => {
        collect(res).then(
          (text) => {
            const parsed = parseJson(text);
            if (parsed === undefined) reject(this.lost());
            else resolve({ status: res.statusCode ?? 0, body: parsed });
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
    if (!socketPath) throw new NotRunningError(this.instance);
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

  /**
   * The reply when it fits the contract: 200 (the route's answer), 422 (its refusal, for an
   * action); any other status becomes the error it names. What does not fit is a version mismatch.
   */
  private async checked(path: string, reply: Reply<unknown>): Promise<Reply<unknown>> {
    const route = routeAt(path) as RouteContract;
    const { status, body } = reply;
    const schema =
      status === 200
        ? route.response
        : status === 422 && route.refused
          ? route.refused
          : SCHEMAS.ErrorResponse;
    const problem = schemaProblem(schema, body);
    if (problem) throw await this.mismatch(route, status === 200 ? problem : `${problem} (status ${status})`);
    if (status === 200 || schema === route.refused) return reply;
    const { error, hint } = body as ErrorResponse;
    // An `up` of another version may not have this route at all.
    if (status === 404 && error === `no such endpoint: ${path}`) {
      const theirs = await this.theirVersion();
      if (theirs !== API_VERSION) throw this.versionError(theirs, `it has no ${route.method} ${path}`);
    }
    // 4xx: what was asked cannot be done (an unknown service); 5xx: a bug on the other side.
    throw new UserError(
      { message: error, ...(hint !== undefined && { hint }) },
      status >= 500 ? ExitCode.internal : ExitCode.usage,
    );
  }

  /** An answer to `route` that breaks the contract: told with both protocol versions. */
  private async mismatch(route: RouteContract, problem: string): Promise<UserError> {
    const theirs = await this.theirVersion();
    return this.versionError(theirs, `its answer to ${route.method} ${route.path} does not fit: ${problem}`);
  }

  private versionError(theirs: number | undefined, detail: string): UserError {
    const flag = this.instance.configFlag ? ` -f ${this.instance.configFlag}` : "";
    const speaks =
      theirs === undefined
        ? `the running up does not say which protocol it speaks, this client v${API_VERSION}`
        : `the running up speaks protocol v${theirs}, this client v${API_VERSION}`;
    return new UserError({
      message: `${speaks} (${this.instance.shownFile}): ${detail}`,
      hint: `restart it with this version (\`mirrord-up${flag} down\`, then \`mirrord-up${flag}\`), or use the mirrord-up that started it`,
    });
  }

  /** The `api` the running `up` says at `/v1/info` (every version answers there); undefined if it does not. */
  private async theirVersion(): Promise<number | undefined> {
    try {
      const { body } = await this.send("GET", INFO_PATH);
      const api = (body as { api?: unknown } | null)?.api;
      return Number.isInteger(api) ? (api as number) : undefined;
    } catch {
      return undefined;
    }
  }

  private connectProblem(error: NodeJS.ErrnoException): UserError {
    if (error.code === "ENOENT" || error.code === "ECONNREFUSED") return new NotRunningError(this.instance);
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
export class NotRunningError extends UserError {
  /** The file does not exist either (a mistyped -f, most likely). */
  readonly fileMissing: boolean;

  constructor(instance: Instance) {
    const flag = instance.configFlag ? ` -f ${instance.configFlag}` : "";
    const missing = !existsSync(instance.file);
    super({
      message: `no mirrord-up is running for ${instance.shownFile}${missing ? " (the file does not exist)" : ""}`,
      hint: missing ? "name the file with -f PATH" : `start one with \`mirrord-up${flag}\``,
    });
    this.fileMissing = missing;
  }
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
