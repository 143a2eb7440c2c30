/**
 * One output stream for every service: `name | line`, names padded to the longest, one colour per
 * service in sorted-name order (no red: red means trouble), status lines `name ▸ text`.
 *
 * Lines are framed per (service, stream) and written whole, so lines of different services never
 * interleave. Work is per chunk, not per line: a chunk's whole lines are framed at once
 * (frame.ts), bytes as they are, so invalid UTF-8 passes through unchanged.
 */
import { writeSync } from "node:fs";
import type { Colors } from "../cli/colors.js";
import { escapeControlChars } from "../text/escape-control.js";
import type { LogStream } from "./control-types.js";
import { frameLines } from "./frame.js";

/** A partial line (no newline yet) is shown after this much silence. */
export const PARTIAL_LINE_IDLE_MS = 200;
/** How long a partial line may wait beyond the idle time while its writer is runnable. */
export const MAX_RUNNABLE_WAIT_MS = 2000;
/** A line longer than this is emitted in pieces, so memory stays bounded. */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

const NEWLINE = 10;
const NEWLINE_BYTE = Buffer.from("\n");

/** Write errors that mean "the reader went away" (`| head`, a closed terminal): the user ended it. */
const READER_GONE = new Set(["EPIPE", "EIO", "ECONNRESET", "ERR_STREAM_DESTROYED"]);

export interface OutputOptions {
  colors: Colors;
  /** `--no-log-prefix`: application lines without `name | `. */
  prefix: boolean;
  /** `--timestamps`: an ISO time after the prefix. */
  timestamps: boolean;
  /**
   * Also hands every whole line written (without prefix) to this, e.g. the log buffer: the bytes
   * read for an application's lines, a latin1 string for status lines.
   */
  record?: (service: string, stream: LogStream, data: Buffer | string, lines?: number) => void;
}

export type Tone = "plain" | "dim" | "ok" | "warn" | "error";

const PALETTE = ["cyan", "yellow", "green", "magenta", "blue"] as const;

/** Where every line ends up. Writes are whole lines; a closed destination ends the run. */
export class OutputMux {
  private width = 0;
  private readonly nameColor = new Map<string, (s: string) => string>();
  private closed = false;
  private readonly closedListeners: (() => void)[] = [];
  private readonly drainWaiters: (() => void)[] = [];
  /** Why the output closed: an error code such as EPIPE, EIO or ENOSPC. */
  closedBy?: string;

  /**
   * The descriptor when the output is a file. Node writes to a file synchronously anyway (its
   * SyncWriteStream); writing to the descriptor directly skips a Buffer per chunk for strings
   * and the stream's bookkeeping (bench/README.md).
   */
  private readonly fileFd?: number;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    names: readonly string[],
    readonly options: OutputOptions,
  ) {
    const { _type: type, fd } = stream as { _type?: string; fd?: number };
    if (type === "fs" && typeof fd === "number") this.fileFd = fd;
    this.assignNames(names);
    // Any write error ends our output: `| head` (EPIPE), a closed terminal (EIO), a full disk
    // (ENOSPC). Never thrown from here: the run then stops its sessions like on Ctrl-C.
    stream.on("error", (error: NodeJS.ErrnoException) => this.markClosed(error.code ?? "EIO"));
    // One listener for every paused session, however many there are.
    stream.on("drain", () => {
      for (const resume of this.drainWaiters.splice(0)) resume();
    });
  }

  /** True when the output closed because of a failure (ENOSPC, ...) rather than a reader leaving. */
  get failed(): boolean {
    return this.closedBy !== undefined && !READER_GONE.has(this.closedBy);
  }

  /**
   * Colours in sorted-name order and the padding width, for every name that may appear. Called
   * again when services are added while running (a reload).
   */
  assignNames(names: readonly string[]): void {
    const sorted = [...new Set([...this.nameColor.keys(), ...names])].sort();
    this.width = Math.max(0, ...sorted.map((n) => n.length));
    const c = this.options.colors;
    sorted.forEach((name, i) => {
      const base = PALETTE[i % PALETTE.length] as (typeof PALETTE)[number];
      // The second round of the palette uses the bright variants, like docker compose.
      const color = i >= PALETTE.length ? (s: string) => c.bold(c[base](s)) : c[base];
      this.nameColor.set(name, color);
    });
  }

  /** Called once when the destination is gone (EPIPE). */
  onClosed(listener: () => void): void {
    // Closed already (a write failed before anyone listened): told all the same.
    if (this.closed) process.nextTick(listener);
    else this.closedListeners.push(listener);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Writes whole lines (a string is taken as `latin1` bytes). False = the caller should wait for
   * drain. `borrowed`: the Buffer is only valid during this call (frameLines), so a stream, which
   * may hold on to it, gets a copy.
   */
  write(data: Buffer | string, borrowed = false): boolean {
    if (this.closed) return true;
    try {
      if (this.fileFd !== undefined) {
        writeAll(this.fileFd, data);
        return true;
      }
      if (typeof data === "string") return this.stream.write(data, "latin1");
      return this.stream.write(borrowed ? Buffer.from(data) : data);
    } catch (error) {
      this.markClosed((error as NodeJS.ErrnoException).code ?? "EIO");
      return true;
    }
  }

  /** Calls `listener` once the destination has room again (or at once if it is gone). */
  whenDrained(listener: () => void): void {
    if (this.closed) listener();
    else this.drainWaiters.push(listener);
  }

  /**
   * The prefix of an application line, `name | ` (or `name | <time> `), as a `latin1` string of
   * its UTF-8 bytes, ready to be joined with line bytes read as `latin1`.
   */
  linePrefix(name: string, kind: "stdout" | "stderr"): () => string {
    const { colors: c, prefix, timestamps } = this.options;
    const bar = kind === "stderr" ? c.red("|") : c.dim("|");
    const fixed = prefix ? Buffer.from(`${this.paint(name)} ${bar} `).toString("latin1") : "";
    if (!timestamps) return () => fixed;
    return () => `${fixed}${new Date().toISOString()} `;
  }

  /**
   * A line about a service from mirrord-up itself: `name ▸ text`. The text may come from outside
   * (mirrord's messages): each of its lines gets the prefix, control characters are escaped.
   */
  status(name: string, text: string, tone: Tone = "plain"): void {
    const c = this.options.colors;
    const prefix = `${this.paint(escapeControlChars(name))} ${c.dim("▸")} `;
    const lines = text.split(/\r?\n/).map(escapeControlChars);
    this.write(Buffer.from(lines.map((line) => `${prefix}${this.tone(line, tone)}\n`).join("")));
    this.options.record?.(name, "status", Buffer.from(`${lines.join("\n")}\n`).toString("latin1"));
  }

  /** A line from mirrord-up about the whole run, without a service prefix. */
  notice(text: string, tone: Tone = "plain"): void {
    const lines = text.split(/\r?\n/).map((line) => `${this.tone(escapeControlChars(line), tone)}\n`);
    this.write(Buffer.from(lines.join("")));
  }

  private paint(name: string): string {
    const color = this.nameColor.get(name) ?? ((s: string) => s);
    return color(name.padEnd(this.width));
  }

  private tone(text: string, tone: Tone): string {
    const c = this.options.colors;
    switch (tone) {
      case "dim":
        return c.dim(text);
      case "ok":
        return c.green(text);
      case "warn":
        return c.yellow(text);
      case "error":
        return c.red(text);
      default:
        return text;
    }
  }

  private markClosed(code: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closedBy = code;
    for (const resume of this.drainWaiters.splice(0)) resume();
    // Told after the write that failed has returned (as a stream's 'error' event would be):
    // stopping the run from inside a session's read would re-enter it.
    const listeners = this.closedListeners.splice(0);
    process.nextTick(() => {
      for (const listener of listeners) listener();
    });
  }
}

/** Writes all of `data` to a file descriptor (a string as latin1); a short write is continued. */
function writeAll(fd: number, data: Buffer | string): void {
  let rest = data;
  for (;;) {
    const written = typeof rest === "string" ? writeSync(fd, rest, null, "latin1") : writeSync(fd, rest);
    if (written >= rest.length) return;
    rest = typeof rest === "string" ? rest.slice(written) : rest.subarray(written);
  }
}

/**
 * Frames one child stream into whole lines and writes them with their prefix. A line is held
 * until its newline arrives, until the stream ends, or until it has been idle for
 * PARTIAL_LINE_IDLE_MS (a prompt without newline is then shown on its own line).
 */
export class LineSink {
  /** While set, every line is offered to it first (without its newline); true = consumed. */
  intercept?: (line: Buffer) => boolean;
  private pending: Buffer[] = [];
  private pendingLength = 0;
  private idleTimer?: NodeJS.Timeout;
  private chunksSeen = 0;
  private isReading = true;
  /** When the idle timer first found the pipe quiet while the writer was still runnable. */
  private quietSince?: number;
  /** True while the process writing this stream is runnable (it has more to say, given a CPU). */
  writerBusy?: () => boolean;

  constructor(
    private readonly mux: OutputMux,
    private readonly prefix: () => string,
    /**
     * Receives every whole line written, without prefix (newline-terminated), as read, and how
     * many lines that is when it is known.
     */
    private readonly record?: (data: Buffer, lines?: number) => void,
  ) {}

  /**
   * Whether the source is being read. While it is not (paused for backpressure), its silence says
   * nothing about the writer, so a held partial line is not flushed as if it were complete.
   */
  set reading(value: boolean) {
    this.isReading = value;
    if (!value) this.clearIdle();
    else if (this.pendingLength > 0) this.armIdle();
  }

  /** Handles one chunk; returns false when the destination asks the source to pause. */
  push(chunk: Buffer): boolean {
    this.chunksSeen++;
    this.quietSince = undefined;
    if (this.intercept) return this.pushLineByLine(chunk);
    const first = chunk.indexOf(NEWLINE);
    if (first < 0) {
      this.hold(chunk);
      return true;
    }
    // A held start of a line is completed by this chunk and framed with it, in one write.
    const held = this.pendingLength > 0 ? this.takePending() : [];
    const last = chunk.lastIndexOf(NEWLINE);
    const framed = frameLines(chunk, 0, last + 1, this.prefix(), held);
    // Written before anything else can frame (framed.data may be borrowed from the framer).
    const ok = this.mux.write(framed.data, true);
    if (this.record) {
      if (held.length === 0) this.record(chunk.subarray(0, last + 1), framed.lines);
      else {
        this.record(Buffer.concat([...held, chunk.subarray(0, first + 1)]), 1);
        if (last > first) this.record(chunk.subarray(first + 1, last + 1), framed.lines - 1);
      }
    }
    if (last + 1 < chunk.length) this.hold(chunk.subarray(last + 1));
    else this.clearIdle();
    return ok;
  }

  /** The stream ended: a final line without newline is written with one. */
  end(): void {
    this.flushPartial();
  }

  private pushLineByLine(chunk: Buffer): boolean {
    let start = 0;
    let ok = true;
    while (this.intercept) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl < 0) break;
      const piece = chunk.subarray(start, nl);
      const line = this.pendingLength > 0 ? Buffer.concat([...this.takePending(), piece]) : piece;
      start = nl + 1;
      if (!this.intercept(line)) ok = this.writeLine(line) && ok;
    }
    if (start >= chunk.length) {
      if (this.pendingLength === 0) this.clearIdle();
      return ok;
    }
    // The interceptor let go mid-chunk (the session became ready): the rest takes the fast path.
    const rest = chunk.subarray(start);
    if (!this.intercept) return this.push(rest) && ok;
    this.hold(rest);
    return ok;
  }

  private hold(piece: Buffer): void {
    this.pending.push(piece);
    this.pendingLength += piece.length;
    if (this.pendingLength >= MAX_LINE_BYTES) {
      // Bounded memory beats an unbroken line of unbounded size.
      this.flushPartial();
      return;
    }
    this.armIdle();
  }

  /**
   * The partial line is flushed after PARTIAL_LINE_IDLE_MS without data, and only if the pipe
   * really gave nothing: a timer can fire late (mirrord-up short of CPU) while more of the line
   * already waits in the pipe. So when it fires, the flush is deferred past the event loop's next
   * poll for I/O (`setImmediate` runs after it); if that poll delivered data, the line goes on.
   */
  private armIdle(): void {
    if (!this.isReading) return;
    if (this.idleTimer) {
      this.idleTimer.refresh();
      return;
    }
    this.idleTimer = setTimeout(() => {
      const seen = this.chunksSeen;
      setImmediate(() => {
        if (this.idleTimer === undefined || this.chunksSeen !== seen || !this.isReading) return;
        // A writer that is runnable but waiting for a CPU (a loaded machine) has not gone silent:
        // it gets up to MAX_RUNNABLE_WAIT_MS more before its partial line is shown.
        const now = performance.now();
        this.quietSince ??= now;
        if (now - this.quietSince < MAX_RUNNABLE_WAIT_MS && this.writerBusy?.()) {
          this.idleTimer.refresh();
          return;
        }
        this.flushPartial();
      });
    }, PARTIAL_LINE_IDLE_MS);
  }

  private flushPartial(): void {
    this.clearIdle();
    if (this.pendingLength === 0) return;
    const line = Buffer.concat(this.takePending());
    if (this.intercept?.(line)) return;
    this.writeLine(line);
  }

  /** One line (without its newline) with its prefix. */
  private writeLine(line: Buffer): boolean {
    this.record?.(Buffer.concat([line, NEWLINE_BYTE]));
    return this.mux.write(`${this.prefix()}${line.toString("latin1")}\n`);
  }

  private takePending(): Buffer[] {
    const taken = this.pending;
    this.pending = [];
    this.pendingLength = 0;
    return taken;
  }

  private clearIdle(): void {
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
  }
}
