/**
 * The recent output of every service, for `mirrord-up logs` and the dashboard: per service the
 * last N lines or M bytes, whichever is smaller (10,000 lines / 8 MiB by default). Entries are
 * whole lines as they were read (a chunk of lines per entry, never split), so what `logs` prints
 * is exactly what `up` printed.
 */
import type { LogEntry, LogStream } from "./control-types.js";

export interface LogBufferLimits {
  lines: number;
  bytes: number;
}

export const DEFAULT_LOG_LIMITS: LogBufferLimits = { lines: 10_000, bytes: 8 * 1024 * 1024 };

interface StoredEntry extends LogEntry {
  lines: number;
}

interface ServiceLog {
  entries: StoredEntry[];
  /** Index of the first live entry (dropped ones are spliced out in batches). */
  head: number;
  lines: number;
  bytes: number;
}

export class LogBuffer {
  private readonly logs = new Map<string, ServiceLog>();
  private readonly followers = new Set<(entry: LogEntry) => void>();
  private seq = 0;

  constructor(private readonly limits: LogBufferLimits = DEFAULT_LOG_LIMITS) {}

  /** Records whole lines (`text` is latin1, every line ends with `\n`). */
  append(service: string, stream: LogStream, text: string): void {
    if (text.length === 0) return;
    const entry: StoredEntry = {
      seq: ++this.seq,
      service,
      stream,
      time: Date.now(),
      text,
      lines: countLines(text),
    };
    let log = this.logs.get(service);
    if (!log) {
      log = { entries: [], head: 0, lines: 0, bytes: 0 };
      this.logs.set(service, log);
    }
    log.entries.push(entry);
    log.lines += entry.lines;
    log.bytes += text.length;
    while (
      log.head < log.entries.length - 1 &&
      (log.lines > this.limits.lines || log.bytes > this.limits.bytes)
    ) {
      const dropped = log.entries[log.head++] as StoredEntry;
      log.lines -= dropped.lines;
      log.bytes -= dropped.text.length;
    }
    if (log.head > 1024 && log.head * 2 > log.entries.length) {
      log.entries.splice(0, log.head);
      log.head = 0;
    }
    for (const follower of this.followers) follower(entry);
  }

  /**
   * The buffered entries of `services` (every service when empty), merged in the order they were
   * read, with at most the last `tail` lines of each service (a partly included entry is cut at a
   * line boundary).
   */
  tail(services: readonly string[], tail: number): LogEntry[] {
    const names = services.length > 0 ? services : [...this.logs.keys()];
    const picked: LogEntry[] = [];
    for (const name of names) {
      const log = this.logs.get(name);
      if (!log) continue;
      let lines = 0;
      for (let i = log.entries.length - 1; i >= log.head && lines < tail; i--) {
        const entry = log.entries[i] as StoredEntry;
        const room = tail - lines;
        if (entry.lines <= room) {
          picked.push(publicEntry(entry));
          lines += entry.lines;
        } else {
          picked.push({ ...publicEntry(entry), text: lastLines(entry.text, room) });
          lines = tail;
        }
      }
    }
    return picked.sort((a, b) => a.seq - b.seq);
  }

  /** Calls `listener` with every entry appended from now on; returns the unsubscribe function. */
  follow(listener: (entry: LogEntry) => void): () => void {
    const wrapped = (entry: LogEntry) => listener(publicEntry(entry as StoredEntry));
    this.followers.add(wrapped);
    return () => this.followers.delete(wrapped);
  }
}

function publicEntry(entry: StoredEntry): LogEntry {
  return { seq: entry.seq, service: entry.service, stream: entry.stream, time: entry.time, text: entry.text };
}

function countLines(text: string): number {
  let n = 0;
  for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) n++;
  return n;
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
