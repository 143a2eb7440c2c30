/**
 * The control API, from the page: every request carries the run's token in a header (never in a
 * URL). Streams are read with fetch(), since EventSource cannot send headers. Once the server
 * refuses the token, `onRefused` is called (once) and no further request is sent.
 */
import type { ActionResult } from "../run/control-types.js";

/** The server refused the token (a stale address: each run has a new one). */
export class Unauthorized extends Error {}

/** How a stream ended: its end frame's reason, or `cut` when the connection broke. */
export type StreamEnd = "complete" | "run-ended" | "closing" | "too-slow" | "cut";

/** The server's answer to a request it refused. */
interface Refused {
  error: string;
  hint?: string;
}

const refusal = (answer: Refused) => (answer.hint ? `${answer.error} (${answer.hint})` : answer.error);

export class Api {
  private refused = false;

  constructor(
    private readonly token: string,
    private readonly onRefused: () => void,
  ) {}

  async get<T>(path: string): Promise<T> {
    const res = await fetch(path, { headers: this.headers(), cache: "no-store" });
    return (await this.accept(res).json()) as T;
  }

  /** An action; a refused one (unknown service, invalid file) comes back as `{ok: false}`. */
  async post(path: string, body: unknown): Promise<ActionResult> {
    const { answer } = await this.postJson<ActionResult>(path, body);
    return "ok" in answer ? answer : { ok: false, errors: [refusal(answer)] };
  }

  /** A question (`POST /v1/route`): its answer, or an Error saying why it was refused. */
  async ask<T>(path: string, body: unknown): Promise<T> {
    const { ok, answer } = await this.postJson<T>(path, body);
    if (ok) return answer as T;
    throw new Error(refusal(answer as Refused));
  }

  private async postJson<T>(path: string, body: unknown): Promise<{ ok: boolean; answer: T | Refused }> {
    const res = await fetch(path, {
      method: "POST",
      headers: this.headers({ "content-type": "application/json" }),
      body: JSON.stringify(body),
    });
    this.checkRefused(res);
    return { ok: res.ok, answer: (await res.json()) as T | Refused };
  }

  /**
   * Reads an NDJSON stream: `onOpen` once it is accepted, then `onItem` for each value, until it
   * ends or `signal` aborts.
   */
  async stream(
    path: string,
    onOpen: () => void,
    onItem: (item: unknown) => void,
    signal: AbortSignal,
  ): Promise<StreamEnd> {
    const res = this.accept(await fetch(path, { headers: this.headers(), cache: "no-store", signal }));
    if (!res.body) return "cut";
    onOpen();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let rest = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return "cut";
        const lines = (rest + value).split("\n");
        rest = lines.pop() ?? "";
        for (const line of lines) {
          if (line === "") continue;
          const item = JSON.parse(line) as { end?: unknown };
          if (typeof item.end === "string") return item.end as StreamEnd;
          onItem(item);
        }
      }
    } catch (error) {
      if (signal.aborted) return "closing";
      if (error instanceof TypeError) return "cut";
      throw error;
    }
  }

  /** The headers of a request; throws instead once the token was refused. */
  private headers(extra: Record<string, string> = {}): Record<string, string> {
    if (this.refused) throw new Unauthorized();
    return { authorization: `Bearer ${this.token}`, ...extra };
  }

  private checkRefused(res: Response): void {
    if (res.status !== 401) return;
    if (!this.refused) {
      this.refused = true;
      this.onRefused();
    }
    throw new Unauthorized();
  }

  private accept(res: Response): Response {
    this.checkRefused(res);
    if (!res.ok) throw new Error(`${res.url}: status ${res.status}`);
    return res;
  }
}
