/** The line framer on real streams: chunk boundaries, partial lines, the memory bound, hand-over. */
import assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import picocolors from "picocolors";
import {
  frameLines,
  LineSink,
  MAX_LINE_BYTES,
  OutputMux,
  PARTIAL_LINE_IDLE_MS,
  prefixLines,
} from "../src/run/output.js";

function setup(options: { prefix?: boolean } = {}) {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on("data", (c: Buffer) => chunks.push(c));
  const mux = new OutputMux(stream, ["svc", "other"], {
    colors: picocolors.createColors(false),
    prefix: options.prefix ?? true,
    timestamps: false,
  });
  const sink = new LineSink(mux, mux.linePrefix("svc", "stdout"));
  return { sink, mux, text: () => Buffer.concat(chunks).toString("latin1") };
}

describe("LineSink", () => {
  it("joins a line split across chunks and prefixes each line once", () => {
    const { sink, text } = setup();
    sink.push(Buffer.from("one\ntw"));
    sink.push(Buffer.from("o\nthr"));
    sink.push(Buffer.from("ee\n"));
    assert.equal(text(), "svc   | one\nsvc   | two\nsvc   | three\n");
  });

  it("holds a partial line until the idle time passes, then shows it", async () => {
    const { sink, text } = setup();
    sink.push(Buffer.from("Password: "));
    assert.equal(text(), "");
    await new Promise((r) => setTimeout(r, PARTIAL_LINE_IDLE_MS + 150));
    assert.equal(text(), "svc   | Password: \n");
  });

  it("writes a final unterminated line at end of stream", () => {
    const { sink, text } = setup();
    sink.push(Buffer.from("a\nlast"));
    sink.end();
    assert.equal(text(), "svc   | a\nsvc   | last\n");
  });

  it("keeps memory bounded: a line beyond MAX_LINE_BYTES is emitted in pieces", () => {
    const { sink, text } = setup();
    const piece = Buffer.alloc(1024 * 1024, 0x61);
    for (let i = 0; i < MAX_LINE_BYTES / piece.length + 1; i++) sink.push(piece);
    sink.push(Buffer.from("\n"));
    const lines = text().split("\n").filter(Boolean);
    assert.equal(lines.length, 2);
    assert.equal(lines[0]!.length, "svc   | ".length + MAX_LINE_BYTES);
  });

  it("passes bytes through untouched, invalid UTF-8 included", () => {
    const stream = new PassThrough();
    const got: Buffer[] = [];
    stream.on("data", (c: Buffer) => got.push(c));
    const mux = new OutputMux(stream, ["svc"], {
      colors: picocolors.createColors(false),
      prefix: true,
      timestamps: false,
    });
    const sink = new LineSink(mux, mux.linePrefix("svc", "stdout"));
    sink.push(Buffer.from([0xff, 0xfe, 0x0a, 0xc3]));
    sink.push(Buffer.from([0x28, 0x0a]));
    const expected = [
      Buffer.from("svc | "),
      Buffer.from([0xff, 0xfe, 0x0a]),
      Buffer.from("svc | "),
      Buffer.from([0xc3, 0x28, 0x0a]),
    ];
    assert.deepEqual(Buffer.concat(got), Buffer.concat(expected));
  });

  it("offers lines to an interceptor, and hands the rest of a chunk back when it lets go", () => {
    const { sink, text } = setup();
    const seen: string[] = [];
    sink.intercept = (line) => {
      seen.push(line.toString());
      if (line.toString() === "READY") {
        sink.intercept = undefined;
        return true;
      }
      return line.toString().startsWith("{");
    };
    sink.push(Buffer.from('{"progress":1}\nplain\nREADY\napp line 1\napp line 2\n'));
    assert.deepEqual(seen, ['{"progress":1}', "plain", "READY"]);
    assert.equal(text(), "svc   | plain\nsvc   | app line 1\nsvc   | app line 2\n");
  });
});

describe("prefixLines", () => {
  it("inserts the prefix before every line of a region", () => {
    const chunk = Buffer.from("a\nbb\nccc\n");
    assert.equal(prefixLines(chunk, 0, chunk.length, "> "), "> a\n> bb\n> ccc\n");
    assert.equal(prefixLines(chunk, 2, 5, "# "), "# bb\n");
  });

  it("keeps every byte value exact through the latin1 string", () => {
    const all = Buffer.from([...Array.from({ length: 256 }, (_, i) => i).filter((b) => b !== 10), 10]);
    const prefix = Buffer.from("é | "); // a multi-byte UTF-8 prefix, too
    const out = Buffer.from(prefixLines(all, 0, all.length, prefix.toString("latin1")), "latin1");
    assert.deepEqual(out, Buffer.concat([prefix, all]));
  });
});

describe("frameLines", () => {
  /** The plain rule, one line at a time: the oracle for both of frameLines' ways. */
  function expected(
    chunk: Buffer,
    start: number,
    end: number,
    prefix: Buffer,
  ): { bytes: Buffer; lines: number } {
    const parts: Buffer[] = [];
    let lines = 0;
    for (let from = start; from < end; ) {
      const nl = chunk.indexOf(10, from);
      parts.push(prefix, chunk.subarray(from, nl + 1));
      from = nl + 1;
      lines++;
    }
    return { bytes: Buffer.concat(parts), lines };
  }

  it("frames short lines, long lines and mixes of them exactly, every byte value, with any prefix", () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (const prefix of ["", "a | ", "é-service | 2026-11-27T10:00:00.000Z "].map((p) => Buffer.from(p))) {
      for (let round = 0; round < 300; round++) {
        // Average line length from 1 to ~400 bytes, so that both ways are taken.
        const width = 1 + Math.floor(next() ** 2 * 400);
        const lines: Buffer[] = [];
        for (let i = 0, n = 1 + Math.floor(next() * 2000); i < n; i++) {
          const length = Math.floor(next() * 2 * width);
          lines.push(
            Buffer.from(Array.from({ length }, () => (Math.floor(next() * 255) + 11) % 256)),
            Buffer.from([10]),
          );
        }
        const head = Buffer.from("partial-before");
        const chunk = Buffer.concat([head, ...lines, Buffer.from("partial-after")]);
        const end = chunk.length - "partial-after".length;
        const framed = frameLines(chunk, head.length, end, prefix.toString("latin1"));
        const got = typeof framed.data === "string" ? Buffer.from(framed.data, "latin1") : framed.data;
        const want = expected(chunk, head.length, end, prefix);
        assert.equal(framed.lines, want.lines, `round ${round}: line count`);
        assert.ok(
          got.equals(want.bytes),
          `round ${round} (width ${width}, prefix "${prefix}"): bytes differ`,
        );
      }
    }
  });
});
