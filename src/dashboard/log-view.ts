/**
 * The live log: every service's lines, merged in the order `up` read them, filtered by service
 * and text. The page keeps the last `KEPT_LINES` lines and shows at most `SHOWN_LINES` of those
 * that match; new lines are added once per animation frame, however fast they come, so the page
 * stays responsive under a flood (bench/dashboard.ts measures it).
 */
import type { LogEntry, LogStream } from "../run/control-types.js";
import { parseAnsi, stripAnsi } from "./ansi.js";

/** Lines in the document at most. */
const SHOWN_LINES = 5000;
/** The shortest time between two updates of the view. */
const FLUSH_MS = 100;
/** Lines per chunk of the document. */
const CHUNK_LINES = 100;
/** Lines kept for filtering (the rest is in `up`'s buffer, `mirrord-up logs`). */
const KEPT_LINES = 20_000;
/** Distinct colours for service names (classes `c0`…). */
const NAME_COLOURS = 10;

interface Line {
  service: string;
  stream: LogStream;
  text: string;
  plain: string;
  /** `plain` in lower case, computed on the first search. */
  lower?: string;
}

const decoder = new TextDecoder();

/** A log entry's text is its bytes as latin1: back to bytes, then decoded as UTF-8. */
function decode(latin1: string): string {
  if (!/[\x80-\xff]/.test(latin1)) return latin1;
  const bytes = new Uint8Array(latin1.length);
  for (let i = 0; i < latin1.length; i++) bytes[i] = latin1.charCodeAt(i);
  return decoder.decode(bytes);
}

export class LogView {
  private kept: Line[] = [];
  private pending: Line[] = [];
  /** The document must be rebuilt from `pending` (more came than it may show). */
  private replace = false;
  /** Lines in the document (a little over `SHOWN_LINES` at most: the oldest chunk goes whole). */
  private shown = 0;
  private chunks: HTMLElement[] = [];
  private frame = 0;
  private forced = false;
  private lastFlush = 0;
  private paused = false;
  private heldWhilePaused = 0;
  /** Follow the newest line (the reader has not scrolled up). */
  private stick = true;
  private service = "";
  private query = "";
  private readonly colours = new Map<string, number>();
  /** The last entry's sequence number: a reconnected stream skips what was already seen. */
  lastSeq = 0;

  constructor(
    private readonly box: HTMLElement,
    private readonly counter: HTMLElement,
  ) {
    box.addEventListener(
      "scroll",
      () => {
        this.stick = box.scrollHeight - box.scrollTop - box.clientHeight < 32;
      },
      { passive: true },
    );
  }

  /**
   * Colours in sorted-name order, and names padded to the longest one (`--name-ch`, read by the
   * style sheet), as in the terminal.
   */
  setServices(names: readonly string[]): void {
    for (const name of [...names].sort()) {
      if (!this.colours.has(name)) this.colours.set(name, this.colours.size % NAME_COLOURS);
    }
    const longest = Math.max(1, ...[...this.colours.keys()].map((name) => name.length));
    this.box.style.setProperty("--name-ch", String(longest));
  }

  add(entry: LogEntry): void {
    if (entry.seq <= this.lastSeq) return;
    this.lastSeq = entry.seq;
    const lines = decode(entry.text).split("\n");
    lines.pop(); // every line ends with a newline
    for (const text of lines) {
      const plain = text.includes("\x1b") || text.includes("\r") ? stripAnsi(text) : text;
      const line: Line = { service: entry.service, stream: entry.stream, text, plain };
      this.kept.push(line);
      if (this.matches(line)) {
        this.pending.push(line);
        if (this.paused) this.heldWhilePaused++;
      }
    }
    if (this.kept.length > KEPT_LINES * 1.25) this.kept = this.kept.slice(-KEPT_LINES);
    if (this.pending.length > SHOWN_LINES * 2) {
      this.pending = this.pending.slice(-SHOWN_LINES);
      this.replace = true;
    }
    this.schedule();
  }

  /** The last `n` lines of a service (for a failed one's row). */
  lastLines(service: string, n: number): string[] {
    const found: string[] = [];
    for (let i = this.kept.length - 1; i >= 0 && found.length < n; i--) {
      const line = this.kept[i] as Line;
      if (line.service === service && line.stream !== "status") found.push(line.plain);
    }
    return found.reverse();
  }

  filter(service: string, query: string): void {
    this.service = service;
    this.query = query.trim().toLowerCase();
    this.rebuild();
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    this.heldWhilePaused = 0;
    if (!paused) this.stick = true;
    this.schedule();
  }

  private matches(line: Line): boolean {
    if (this.service !== "" && line.service !== this.service) return false;
    if (this.query === "") return true;
    line.lower ??= line.plain.toLowerCase();
    return line.lower.includes(this.query);
  }

  /** Shows the last matching lines of what is kept, from scratch. */
  private rebuild(): void {
    const found: Line[] = [];
    for (let i = this.kept.length - 1; i >= 0 && found.length < SHOWN_LINES; i--) {
      const line = this.kept[i] as Line;
      if (this.matches(line)) found.push(line);
    }
    this.pending = found.reverse();
    this.replace = true;
    this.heldWhilePaused = 0;
    this.stick = true;
    this.schedule(true);
  }

  /**
   * At most one update every `FLUSH_MS`, in an animation frame: moving the text costs a repaint
   * of the whole view, whatever the number of new lines, so a flood is drawn in few large steps.
   */
  private schedule(evenIfPaused = false): void {
    this.forced ||= evenIfPaused;
    if (this.frame !== 0) return;
    const wait = Math.max(0, this.lastFlush + FLUSH_MS - performance.now());
    this.frame = window.setTimeout(() => {
      requestAnimationFrame(() => {
        this.frame = 0;
        this.lastFlush = performance.now();
        const forced = this.forced;
        this.forced = false;
        this.flush(forced);
      });
    }, wait);
  }

  private flush(evenIfPaused: boolean): void {
    if (this.paused && !evenIfPaused) {
      this.counter.textContent = `paused: ${this.heldWhilePaused} new line${this.heldWhilePaused === 1 ? "" : "s"} held`;
      return;
    }
    let batch = this.pending;
    this.pending = [];
    if (this.replace || batch.length >= SHOWN_LINES) {
      this.replace = false;
      batch = batch.slice(-SHOWN_LINES);
      this.box.replaceChildren();
      this.chunks = [];
      this.shown = 0;
    }
    // Lines go into chunks of CHUNK_LINES; the oldest chunk goes as a whole. A full chunk is
    // never laid out again, and one out of view is not laid out at all (content-visibility).
    let last = this.chunks.at(-1);
    for (let i = 0; i < batch.length; ) {
      if (!last || last.childElementCount >= CHUNK_LINES) {
        last = document.createElement("div");
        last.className = "chunk";
        this.chunks.push(last);
        this.box.append(last);
      }
      const room = CHUNK_LINES - last.childElementCount;
      const fragment = document.createDocumentFragment();
      for (const line of batch.slice(i, i + room)) fragment.append(this.element(line));
      last.append(fragment);
      i += room;
    }
    this.shown += batch.length;
    while (
      this.chunks.length > 1 &&
      this.shown - (this.chunks[0] as HTMLElement).childElementCount >= SHOWN_LINES
    ) {
      const oldest = this.chunks.shift() as HTMLElement;
      this.shown -= oldest.childElementCount;
      oldest.remove();
    }
    if (this.stick) this.box.scrollTop = this.box.scrollHeight;
    const filtered = this.service !== "" || this.query !== "";
    const count = Math.min(this.shown, SHOWN_LINES);
    this.counter.textContent = `${count} line${count === 1 ? "" : "s"}${filtered ? " match" : ""}${
      count === SHOWN_LINES ? ` (the last ${SHOWN_LINES})` : ""
    }`;
  }

  private element(line: Line): HTMLElement {
    const row = document.createElement("div");
    row.className = line.stream === "stderr" ? "l e" : line.stream === "status" ? "l st" : "l";
    const name = document.createElement("span");
    name.className = `n c${this.colours.get(line.service) ?? 0}`;
    name.textContent = line.service;
    row.append(name);
    if (!line.text.includes("\x1b")) {
      row.append(line.plain);
      return row;
    }
    for (const segment of parseAnsi(line.text)) {
      if (segment.classes === "" && !segment.color && !segment.background) {
        row.append(segment.text);
        continue;
      }
      const span = document.createElement("span");
      span.className = segment.classes;
      if (segment.color) span.style.color = segment.color;
      if (segment.background) span.style.backgroundColor = segment.background;
      span.textContent = segment.text;
      row.append(span);
    }
    return row;
  }
}
