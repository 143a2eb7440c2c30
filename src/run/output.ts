/**
 * One output stream for every service: `name | line`, names padded to the longest, one colour per
 * service in sorted-name order (no red: red means trouble), status lines `name ▸ text`.
 *
 * Lines are framed per (service, stream) and written whole, so lines of different services never
 * interleave. Work is per chunk, not per line: a chunk's whole lines are framed at once
 * (frame.ts), bytes as they are, so invalid UTF-8 passes through unchanged.
 */
import { writeSync, writevSync } from "node:fs";
import type { Colors } from "../core/colors.js";
import { escapeControlChars } from "../text/escape-control.js";
import type { LogStream } from "./control-types.js";
import { frameLines } from "./frame.js";

/** A partial line (no newline yet) is shown after this much silence. */
const PARTIAL_LINE_IDLE_MS = 200;
/** How long a partial line may wait beyond the idle time while its writer is runnable. */
const MAX_RUNNABLE_WAIT_MS = 2000;
/**
 * A line longer than this is written in pieces of exactly this size (each with the prefix and a
 * newline), so what is held of a line stays bounded.
 */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

const NEWLINE = 10;
/** A held line up to this size is framed together with the chunk that completes it (one write). */
const HELD_FRAMED_BYTES = 64 * 1024;
/** The first buffer for a held line; one up to KEPT_PENDING_BYTES is kept for the next. */
const FIRST_PENDING_BYTES = 1024;
const KEPT_PENDING_BYTES = 16 * 1024;

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
   * Writes whole lines: a string as `latin1` bytes, pieces one after another (one writev to a
   * file). False = the caller should wait for drain. `borrowed`: the Buffers are only valid during
   * this call (frameLines, a held line), so a stream, which may hold on to them, gets copies.
   */
  write(data: Buffer | string | readonly Buffer[], borrowed = false): boolean {
    if (this.closed) return true;
    try {
      if (this.fileFd !== undefined) {
        writeAll(this.fileFd, data);
        return true;
      }
      if (typeof data === "string") return this.stream.write(data, "latin1");
      let ok = true;
      for (const piece of Buffer.isBuffer(data) ? [data] : data) {
        ok = this.stream.write(borrowed ? Buffer.from(piece) : piece);
      }
      return ok;
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

/**
 * Writes all of `data` to a file descriptor (a string as latin1, pieces with one writev); a short
 * write is continued.
 */
function writeAll(fd: number, data: Buffer | string | readonly Buffer[]): void {
  if (typeof data !== "string" && !Buffer.isBuffer(data)) {
    let pieces = data;
    for (;;) {
      let written = writevSync(fd, pieces);
      while (pieces.length > 0 && written >= (pieces[0] as Buffer).length) {
        written -= (pieces[0] as Buffer).length;
        pieces = pieces.slice(1);
      }
      if (pieces.length === 0) return;
      pieces = [(pieces[0] as Buffer).subarray(written), ...pieces.slice(1)];
    }
  }
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
 *
 * What is held is copied into one buffer per stream that grows up to MAX_LINE_BYTES (plus one byte
 * for the newline). A service's two streams (see `pair`) together hold at most MAX_LINE_BYTES: when
 * more arrives, the larger held line goes out as a piece. So a lone long line goes out in pieces of
 * exactly MAX_LINE_BYTES, and a flood without newlines holds no more than that, whatever its size.
 */
export class LineSink {
  /** While set, every line is offered to it first (without its newline); true = consumed. */
  intercept?: (line: Buffer) => boolean;
  /** The held start of a line is `pending[0, pendingLength)`. */
  private pending?: Buffer;
  private pendingLength = 0;
  private idleTimer?: NodeJS.Timeout;
  private chunksSeen = 0;
  private isReading = true;
  /** When the idle timer first found the pipe quiet while the writer was still runnable. */
  private quietSince?: number;
  /** True while the process writing this stream is runnable (it has more to say, given a CPU). */
  writerBusy?: () => boolean;
  /** The service's other stream, with which the held bytes are shared. */
  private partner?: LineSink;

  /** Makes two streams of one service share the bound on held bytes (MAX_LINE_BYTES). */
  static pair(a: LineSink, b: LineSink): void {
    a.partner = b;
    b.partner = a;
  }

  constructor(
    private readonly mux: OutputMux,
    private readonly prefix: () => string,
    /**
     * Receives every whole line written, without prefix (newline-terminated), as read, and how
     * many lines that is when it is known. The Buffer is only valid during the call.
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
    if (first < 0) return this.holdRest(chunk);
    const last = chunk.lastIndexOf(NEWLINE);
    let ok: boolean;
    if (this.pendingLength === 0) ok = this.frame(chunk, 0, last + 1);
    else {
      // A held start of a line is completed by this chunk. A short one is framed with the chunk,
      // in one write; a long one is written on its own, so the framer never copies it.
      ok = this.hold(chunk.subarray(0, first));
      const line = this.takeLine();
      if (line.length <= HELD_FRAMED_BYTES) ok = this.frame(chunk, first + 1, last + 1, line) && ok;
      else {
        ok = this.writeLine(line) && ok;
        if (last > first) ok = this.frame(chunk, first + 1, last + 1) && ok;
      }
    }
    if (last + 1 < chunk.length) return this.holdRest(chunk.subarray(last + 1)) && ok;
    this.clearIdle();
    return ok;
  }

  /** The stream ended: a final line without newline is written with one. */
  end(): void {
    this.flushPartial();
  }

  /**
   * Writes the whole lines `chunk[start, end)` with their prefix, after `held` (one whole line with
   * its newline) when given, and records them.
   */
  private frame(chunk: Buffer, start: number, end: number, held?: Buffer): boolean {
    const framed = frameLines(chunk, start, end, this.prefix(), held);
    // Written before anything else can frame (framed.data may be borrowed from the framer).
    const ok = this.mux.write(framed.data, true);
    if (this.record) {
      if (!held) this.record(chunk.subarray(start, end), framed.lines);
      else {
        this.record(held, 1);
        if (end > start) this.record(chunk.subarray(start, end), framed.lines - 1);
      }
    }
    return ok;
  }

  private pushLineByLine(chunk: Buffer): boolean {
    let start = 0;
    let ok = true;
    while (this.intercept) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl < 0) break;
      let line = chunk.subarray(start, nl + 1);
      if (this.pendingLength > 0) {
        ok = this.hold(chunk.subarray(start, nl)) && ok;
        line = this.takeLine();
      }
      start = nl + 1;
      if (!this.intercept(line.subarray(0, -1))) ok = this.writeLine(line) && ok;
    }
    if (start >= chunk.length) {
      if (this.pendingLength === 0) this.clearIdle();
      return ok;
    }
    // The interceptor let go mid-chunk (the session became ready): the rest takes the fast path.
    const rest = chunk.subarray(start);
    if (!this.intercept) return this.push(rest) && ok;
    return this.holdRest(rest) && ok;
  }

  /** Holds the start of a line that `bytes` ends with, and waits for the rest of it. */
  private holdRest(bytes: Buffer): boolean {
    const ok = this.hold(bytes);
    this.armIdle();
    return ok;
  }

  /**
   * Adds `bytes` (no newline among them) to the held line. Once this stream and its partner would
   * hold more than MAX_LINE_BYTES together, the larger held line (this one on a tie) goes out as a
   * line of its own: a line of exactly that size, with nothing held beside it, waits whole.
   */
  private hold(bytes: Buffer): boolean {
    let ok = true;
    for (let at = 0; at < bytes.length; ) {
      const other = this.partner?.pendingLength ?? 0;
      const room = MAX_LINE_BYTES - this.pendingLength - other;
      if (room === 0) {
        if (other > this.pendingLength) ok = (this.partner as LineSink).flushPiece() && ok;
        else ok = this.flushPiece() && ok;
        continue;
      }
      const n = Math.min(bytes.length - at, room);
      const pending = this.reserve(this.pendingLength + n);
      bytes.copy(pending, this.pendingLength, at, at + n);
      this.pendingLength += n;
      at += n;
    }
    return ok;
  }

  /** A buffer with room for `length` held bytes and a newline after them (the held bytes kept). */
  private reserve(length: number): Buffer {
    const held = this.pending;
    if (held && held.length > length) return held;
    let size = Math.max(FIRST_PENDING_BYTES, (held?.length ?? 0) * 2);
    while (size <= length) size *= 2;
    // Past a pipe read's size a line is likely long: the full size at once, which costs only the
    // pages written, rather than each doubling left behind as garbage.
    if (size > HELD_FRAMED_BYTES) size = MAX_LINE_BYTES + 1;
    const bigger = Buffer.allocUnsafe(Math.min(size, MAX_LINE_BYTES + 1));
    held?.copy(bigger, 0, 0, this.pendingLength);
    this.pending = bigger;
    return bigger;
  }

  /**
   * The held line with a newline after it, as a view of the held buffer (valid until the next
   * hold); nothing is held any more. A large buffer is let go, as the next line is likely short.
   */
  private takeLine(keepBuffer = false): Buffer {
    const pending = this.pending as Buffer;
    pending[this.pendingLength] = NEWLINE;
    const line = pending.subarray(0, this.pendingLength + 1);
    this.pendingLength = 0;
    if (!keepBuffer && pending.length > KEPT_PENDING_BYTES) this.pending = undefined;
    return line;
  }

  /**
   * A piece of a longer line (see hold); its buffer is reused for the rest of the line, unless the
   * other stream holds a large one too (then at most one full-size buffer stays).
   */
  private flushPiece(): boolean {
    this.clearIdle();
    const partnerBuffer = this.partner?.pending?.length ?? 0;
    const line = this.takeLine(partnerBuffer <= KEPT_PENDING_BYTES);
    if (this.intercept?.(line.subarray(0, -1))) return true;
    return this.writeLine(line);
  }

  /**
   * The partial line is flushed after PARTIAL_LINE_IDLE_MS without data, and only if the pipe
   * really gave nothing: a timer can fire late (mirrord-up short of CPU) while more of the line
   * already waits in the pipe. So when it fires, the flush is deferred past the event loop's next
   * poll for I/O (`setImmediate` runs after it); if that poll delivered data, the line goes on.
   */
  private armIdle(): void {
    if (!this.isReading || this.pendingLength === 0) return;
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
    const line = this.takeLine();
    if (this.intercept?.(line.subarray(0, -1))) return;
    this.writeLine(line);
  }

  /** One line (with its newline, borrowed) with its prefix. */
  private writeLine(line: Buffer): boolean {
    this.record?.(line, 1);
    const prefix = this.prefix();
    return this.mux.write(prefix ? [Buffer.from(prefix, "latin1"), line] : line, true);
  }

  private clearIdle(): void {
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
    }
  }
}
