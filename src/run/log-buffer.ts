/**
 * The recent output of every service, for `mirrord-up logs` and the dashboard: per service the
 * last N lines or M bytes, whichever is smaller (10,000 lines / 8 MiB by default). Entries are
 * whole lines as they were read (a chunk of lines per entry, never split), so what `logs` prints
 * is exactly what `up` printed; only a read larger than the byte limit keeps just its end.
 *
 * The bytes are copied into one ring per service, which grows (doubling, from 16 KiB) up to the
 * byte limit and is then reused. Keeping each chunk as its own string or Buffer instead made the
 * garbage collector, and fresh memory for every read, the main cost of a busy run: at
 * 10 × 1 M lines the log buffer cost as much CPU as all the rest of the output path
 * (bench/README.md). An entry becomes a latin1 string (one character per byte) when read.
 */
import type { LogEntry, LogStream } from "./control-types.js";

export interface LogBufferLimits {
  lines: number;
  bytes: number;
}

export const DEFAULT_LOG_LIMITS: LogBufferLimits = { lines: 10_000, bytes: 8 * 1024 * 1024 };

const FIRST_RING_BYTES = 16 * 1024;

interface StoredEntry {
  seq: number;
  stream: LogStream;
  time: number;
  /** Where its bytes start in the service's ring, counted from the ring's first byte ever. */
  at: number;
  length: number;
  lines: number;
}

/**
 * Bytes at ever-growing positions; position `p` is kept at `p % capacity`. Holds the bytes from
 * `start` to `end`, which the caller keeps within the capacity.
 */
class ByteRing {
  private buffer: Buffer;
  start = 0;
  end = 0;

  constructor(capacity: number) {
    this.buffer = Buffer.allocUnsafe(capacity);
  }

  get capacity(): number {
    return this.buffer.length;
  }

  /** Makes room for `bytes` in all, moving what is kept to a bigger buffer. */
  reserve(bytes: number, limit: number): void {
    if (bytes <= this.capacity) return;
    let capacity = this.capacity;
    while (capacity < bytes) capacity *= 2;
    const bigger = Buffer.allocUnsafe(Math.max(bytes, Math.min(capacity, limit)));
    for (let p = this.start; p < this.end; ) {
      const piece = this.contiguous(p, this.end - p);
      const into = p % bigger.length;
      const n = Math.min(piece.length, bigger.length - into);
      piece.copy(bigger, into, 0, n);
      p += n;
    }
    this.buffer = bigger;
  }

  append(data: Buffer | string): void {
    for (let done = 0; done < data.length; ) {
      const at = this.end % this.capacity;
      const room = this.capacity - at;
      const n = Math.min(room, data.length - done);
      if (typeof data === "string") this.buffer.write(data.slice(done, done + n), at, n, "latin1");
      else data.copy(this.buffer, at, done, done + n);
      done += n;
      this.end += n;
    }
  }

  /** The bytes from `at` on, as latin1 text. */
  text(at: number, length: number): string {
    let text = "";
    for (let p = at; p < at + length; ) {
      const piece = this.contiguous(p, at + length - p);
      text += piece.toString("latin1");
      p += piece.length;
    }
    return text;
  }

  /** The longest run of bytes from `at` (up to `length`) that does not wrap around. */
  private contiguous(at: number, length: number): Buffer {
    const from = at % this.capacity;
    return this.buffer.subarray(from, from + Math.min(length, this.capacity - from));
  }
}

interface ServiceLog {
  entries: StoredEntry[];
  /** Index of the first live entry (dropped ones are spliced out in batches). */
  head: number;
  lines: number;
  bytes: number;
  ring: ByteRing;
}

export class LogBuffer {
  private readonly logs = new Map<string, ServiceLog>();
  private readonly followers = new Set<(entry: LogEntry) => void>();
  private seq = 0;

  constructor(private readonly limits: LogBufferLimits = DEFAULT_LOG_LIMITS) {}

  /**
   * Records whole lines (bytes, or a latin1 string; every line ends with `\n`); `lines` is their
   * number when the caller has counted them already.
   */
  append(service: string, stream: LogStream, data: Buffer | string, lines?: number): void {
    if (data.length === 0) return;
    if (data.length > this.limits.bytes) {
      // More than the whole buffer holds: only its end is kept (see lastBytes).
      data = lastBytes(data, this.limits.bytes);
      lines = undefined;
    }
    lines ??= countLines(data);
    let log = this.logs.get(service);
    if (!log) {
      log = {
        entries: [],
        head: 0,
        lines: 0,
        bytes: 0,
        ring: new ByteRing(Math.min(FIRST_RING_BYTES, this.limits.bytes)),
      };
      this.logs.set(service, log);
    }
    // The oldest entries go until the new one fits the limits (the newest is always kept).
    while (
      log.head < log.entries.length &&
      (log.lines + lines > this.limits.lines || log.bytes + data.length > this.limits.bytes)
    ) {
      const dropped = log.entries[log.head++] as StoredEntry;
      log.lines -= dropped.lines;
      log.bytes -= dropped.length;
      log.ring.start = dropped.at + dropped.length;
    }
    if (log.head > 1024 && log.head * 2 > log.entries.length) {
      log.entries.splice(0, log.head);
      log.head = 0;
    }
    log.ring.reserve(log.bytes + data.length, this.limits.bytes);
    const entry: StoredEntry = {
      seq: ++this.seq,
      stream,
      time: Date.now(),
      at: log.ring.end,
      length: data.length,
      lines,
    };
    log.ring.append(data);
    log.entries.push(entry);
    log.lines += lines;
    log.bytes += data.length;
    if (this.followers.size === 0) return;
    const shown: LogEntry = {
      seq: entry.seq,
      service,
      stream,
      time: entry.time,
      text: typeof data === "string" ? data : data.toString("latin1"),
    };
    for (const follower of this.followers) follower(shown);
  }

  /**
   * The buffered entries of `services` (every service when empty), merged in the order they were
   * read, with at most the last `tail` lines of each service (a partly included entry is cut at a
   * line boundary). Each entry's text is copied out of the ring only when it is reached, so a
   * reader that takes its time holds no copy of the buffer; an entry dropped from the buffer before
   * it is reached is skipped (and the gap said).
   */
  *tail(services: readonly string[], tail: number): Iterable<LogEntry> {
    const names = services.length > 0 ? services : [...this.logs.keys()];
    const picked: { service: string; log: ServiceLog; entry: StoredEntry; room: number }[] = [];
    for (const service of names) {
      const log = this.logs.get(service);
      if (!log) continue;
      let lines = 0;
      for (let i = log.entries.length - 1; i >= log.head && lines < tail; i--) {
        const entry = log.entries[i] as StoredEntry;
        const room = tail - lines;
        picked.push({ service, log, entry, room });
        lines += Math.min(entry.lines, room);
      }
    }
    picked.sort((a, b) => a.entry.seq - b.entry.seq);
    /** Entries of a service dropped before they were reached, said once the gap ends. */
    const skipped = new Map<string, { count: number; seq: number; time: number }>();
    const gap = function* (service: string): Generator<LogEntry> {
      const missed = skipped.get(service);
      if (!missed) return;
      skipped.delete(service);
      const text = `${missed.count} entr${missed.count === 1 ? "y was" : "ies were"} dropped from the buffer before they could be sent\n`;
      yield { seq: missed.seq, service, stream: "status", time: missed.time, text };
    };
    for (const { service, log, entry, room } of picked) {
      // Positions only grow: an entry before the ring's start has been dropped (and overwritten).
      if (entry.at < log.ring.start) {
        const missed = skipped.get(service) ?? { count: 0, seq: entry.seq, time: entry.time };
        missed.count++;
        skipped.set(service, missed);
        continue;
      }
      yield* gap(service);
      const text = log.ring.text(entry.at, entry.length);
      yield {
        seq: entry.seq,
        service,
        stream: entry.stream,
        time: entry.time,
        text: entry.lines <= room ? text : lastLines(text, room),
      };
    }
    for (const service of [...skipped.keys()]) yield* gap(service);
  }

  /** Calls `listener` with every entry appended from now on; returns the unsubscribe function. */
  follow(listener: (entry: LogEntry) => void): () => void {
    this.followers.add(listener);
    return () => this.followers.delete(listener);
  }
}

/** `data` is bytes or latin1 text (one character per byte): indexOf finds a newline in either. */
function countLines(data: string | Buffer): number {
  let n = 0;
  for (let at = data.indexOf("\n"); at >= 0; at = data.indexOf("\n", at + 1)) n++;
  return n;
}

/**
 * The end of `data` that fits in `bytes`: its last whole lines that fit, or, when even its last line
 * is longer, that line's last `bytes` bytes (newline included).
 */
function lastBytes(data: Buffer | string, bytes: number): Buffer | string {
  const from = data.length - bytes;
  const nl = data.indexOf("\n", from - 1);
  const cut = nl >= 0 && nl < data.length - 1 ? nl + 1 : from;
  return typeof data === "string" ? data.slice(cut) : data.subarray(cut);
}

/** The last `n` lines of `text` (which ends with a newline). */
function lastLines(text: string, n: number): string {
  let at = text.length - 1;
  for (let seen = 0; seen < n; seen++) {
    at = text.lastIndexOf("\n", at - 1);
    if (at < 0) return text;
  }
  return text.slice(at + 1);
}
