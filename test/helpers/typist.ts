/**
 * Drives real prompts on in-memory streams: waits until a question has been rendered, then
 * types keys, as a person at a terminal would.
 */
import { PassThrough } from "node:stream";
import { stripVTControlCharacters } from "node:util";
import { waitUntil } from "./wait.js";

/** Only a failsafe against a hang: prompts are waited for, never timed. */
const PROMPT_BOUND_MS = 120_000;

export const KEY = { enter: "\r", down: "\x1b[B", up: "\x1b[A", ctrlC: "\x03", backspace: "\x7f" } as const;

/**
 * A terminal's output side. Like process.stderr it is never ended by a stream piped into it
 * (@inquirer pipes each prompt's output in, and ends that pipe when the prompt is done).
 */
class TerminalOutput extends PassThrough {
  override end(): this {
    return this;
  }
}

export class Typist {
  readonly input = new PassThrough();
  readonly output = new TerminalOutput();
  private screen = "";
  private read = 0;

  constructor() {
    this.output.on("data", (chunk: Buffer) => {
      this.screen += stripVTControlCharacters(chunk.toString());
    });
  }

  /** Everything rendered so far, without escape codes. */
  get text(): string {
    return this.screen;
  }

  /**
   * Waits for `question` to appear (after the previous one), then types `keys`. The wait is for
   * the prompt itself, not for a time: on a busy machine the first prompt can take seconds
   * (loading the Kubernetes client); the bound only keeps a broken test from hanging forever.
   */
  async answer(question: string | RegExp, keys: string): Promise<void> {
    await waitUntil(
      () => {
        const rest = this.screen.slice(this.read);
        const match = typeof question === "string" ? rest.indexOf(question) : rest.search(question);
        if (match < 0) return false;
        this.read += match + 1;
        return true;
      },
      PROMPT_BOUND_MS,
      `the prompt ${String(question)}; screen so far:\n${this.screen}`,
    );
    // Let the prompt finish wiring its keypress handler before typing.
    await new Promise((r) => setTimeout(r, 20));
    this.input.write(keys);
  }
}
