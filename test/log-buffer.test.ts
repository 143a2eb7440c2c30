/**
 * The log buffer keeps bytes in a ring per service; checked against a plain list of entries with
 * the same limits (the last N lines or M bytes, newest entry always kept, never split unless it
 * alone is larger than M bytes: then only its end is kept).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LogBuffer, type LogBufferLimits } from "../src/run/log-buffer.js";
import { seededRandom } from "./helpers/random.js";

/** The model: entries as strings, oldest dropped while the new one does not fit. */
class ListModel {
  private readonly entries: { service: string; text: string; lines: number }[] = [];
  constructor(private readonly limits: LogBufferLimits) {}

  append(service: string, whole: string): void {
    let text = whole;
    if (text.length > this.limits.bytes) {
      // Its last lines that fit; else the end of its last line.
      const lines = text.slice(0, -1).split("\n");
      let kept = "";
      while (lines.length > 0 && kept.length + (lines.at(-1) as string).length + 1 <= this.limits.bytes)
        kept = `${lines.pop()}\n${kept}`;
      text = kept || text.slice(-this.limits.bytes);
    }
    const mine = () => this.entries.filter((e) => e.service === service);
    const lines = text.split("\n").length - 1;
    for (;;) {
      const kept = mine();
      const keptLines = kept.reduce((n, e) => n + e.lines, 0);
      const keptBytes = kept.reduce((n, e) => n + e.text.length, 0);
      if (
        kept.length === 0 ||
        (keptLines + lines <= this.limits.lines && keptBytes + text.length <= this.limits.bytes)
      )
        break;
      this.entries.splice(this.entries.indexOf(kept[0] as (typeof kept)[0]), 1);
    }
    this.entries.push({ service, text, lines });
  }

  all(service: string): string {
    return this.entries
      .filter((e) => e.service === service)
      .map((e) => e.text)
      .join("");
  }
}

/**
 * Every byte value but the newline, in a cycle of 255 (the newline's place holds 11), long enough
 * for a line of 3,000 from any place in the cycle: a line's body is a slice of it, so the bytes
 * coming back exactly is proved for every value.
 */
const BYTES = Array.from({ length: 255 + 3000 }, (_, j) =>
  String.fromCharCode(j % 255 === 10 ? 11 : j % 255),
).join("");

/** Lines of up to 60 bytes, one in ten up to 3,000; `long` makes most of them long. */
function chunkOfLines(next: () => number, counter: { n: number }, long = false): string {
  const count = 1 + Math.floor(next() * 8);
  let text = "";
  for (let i = 0; i < count; i++) {
    const width = Math.floor(next() * (next() < (long ? 0.9 : 0.1) ? 3000 : 60));
    const from = counter.n % 255;
    const body = BYTES.slice(from, from + width);
    text += `${counter.n++}:${body}\n`;
  }
  return text;
}

describe("log buffer", () => {
  for (const limits of [
    { lines: 10_000, bytes: 8 * 1024 * 1024 },
    { lines: 50, bytes: 1_000_000 },
    { lines: 1_000_000, bytes: 5_000 },
    { lines: 7, bytes: 300 },
    { lines: 1, bytes: 1 },
    { lines: 400, bytes: 8 * 1024 * 1024 },
  ]) {
    it(`keeps exactly what a plain list keeps (limits ${limits.lines} lines, ${limits.bytes} bytes), as Buffers and as strings`, (t) => {
      const { next, seed } = seededRandom(t);
      const buffer = new LogBuffer(limits);
      const model = new ListModel(limits);
      const counter = { n: 0 };
      for (let i = 0; i < 3000; i++) {
        const service = next() < 0.7 ? "api" : "web";
        // Short lines first (the first ring fills and wraps), then long ones (it must grow while
        // what it keeps wraps around its end).
        const text = chunkOfLines(next, counter, i > 1500);
        buffer.append(
          service,
          next() < 0.5 ? "stdout" : "status",
          next() < 0.8 ? Buffer.from(text, "latin1") : text,
        );
        model.append(service, text);
        if (i % 97 === 0 || i === 2999) {
          for (const name of ["api", "web"]) {
            const got = [...buffer.tail([name], Number.POSITIVE_INFINITY)].map((e) => e.text).join("");
            assert.equal(got, model.all(name), `SEED=${seed}: after ${i + 1} appends, ${name}`);
          }
        }
      }
    });
  }

  it("`tail` cuts the oldest included entry at a line boundary and merges services in read order", () => {
    const buffer = new LogBuffer();
    buffer.append("a", "stdout", Buffer.from("a1\na2\na3\n"));
    buffer.append("b", "stderr", "b1\n");
    buffer.append("a", "stdout", Buffer.from("a4\n"));
    assert.deepEqual(
      [...buffer.tail([], 2)].map((e) => [e.service, e.stream, e.text]),
      [
        ["a", "stdout", "a3\n"],
        ["b", "stderr", "b1\n"],
        ["a", "stdout", "a4\n"],
      ],
    );
  });

  it("keeps only the end of a read larger than the byte limit: its last whole lines, else the end of its line", () => {
    const buffer = new LogBuffer({ lines: 100, bytes: 10 });
    buffer.append("a", "stdout", Buffer.from("first line\nab\ncd\n"));
    assert.deepEqual(
      [...buffer.tail(["a"], 100)].map((e) => e.text),
      ["ab\ncd\n"],
    );
    buffer.append("a", "stdout", Buffer.from(`${"x".repeat(4 * 1024 * 1024)}y\n`));
    assert.deepEqual(
      [...buffer.tail(["a"], 100)].map((e) => e.text),
      ["xxxxxxxxy\n"],
    );
  });

  it("followers get each entry as it is appended, as latin1 text", () => {
    const buffer = new LogBuffer();
    const seen: string[] = [];
    const stop = buffer.follow((e) => seen.push(`${e.service}:${e.text}`));
    buffer.append("a", "stdout", Buffer.from([0xff, 0x41, 10]));
    stop();
    buffer.append("a", "stdout", Buffer.from("later\n"));
    assert.deepEqual(seen, ["a:\u00ffA\n"]);
  });
});
