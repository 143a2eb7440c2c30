/** The line framer on real streams: chunk boundaries, partial lines, the memory bound, hand-over. */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { PassThrough } from "node:stream";
import { describe, it } from "node:test";
import picocolors from "picocolors";
import { frameLines, frameLinesPortable } from "../src/run/frame.js";
import { LineSink, MAX_LINE_BYTES, OutputMux } from "../src/run/output.js";
import { seededRandom, stressCount } from "./helpers/random.js";
import { waitUntil } from "./helpers/wait.js";

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
    await waitUntil(() => text() !== "", 30_000, "the partial line shown after the idle time");
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

  it("passes a line of exactly MAX_LINE_BYTES whole, and a longer one in pieces of exactly MAX_LINE_BYTES", () => {
    const { sink, text } = setup();
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const pushLine = (bytes: number) => {
      for (let done = 0; done < bytes; done += chunk.length)
        sink.push(chunk.subarray(0, Math.min(chunk.length, bytes - done)));
      sink.push(Buffer.from("\nnext"));
    };
    pushLine(MAX_LINE_BYTES);
    pushLine(2 * MAX_LINE_BYTES + 100);
    sink.end();
    const lengths = text()
      .split("\n")
      .filter(Boolean)
      .map((line) => line.length - "svc   | ".length);
    assert.deepEqual(lengths, [MAX_LINE_BYTES, MAX_LINE_BYTES, MAX_LINE_BYTES, 104, 4]);
  });

  it("holds at most MAX_LINE_BYTES per service: the larger held line of stdout and stderr goes out as a piece", () => {
    const { mux, text } = setup();
    const out = new LineSink(mux, mux.linePrefix("svc", "stdout"));
    const err = new LineSink(mux, mux.linePrefix("svc", "stderr"));
    LineSink.pair(out, err);
    const MiB = 1024 * 1024;
    const bytes = (n: number, c: string) => Buffer.alloc(n, c);
    err.push(bytes(3 * MiB, "e"));
    // One more byte than both may hold: stderr's 3 MiB is the larger, and goes out.
    out.push(bytes(MiB + 1, "o"));
    // Now stdout's 3 MiB + 1 is the larger, and goes out when stderr's last byte comes; its
    // newline then ends an empty rest.
    out.push(bytes(2 * MiB, "o"));
    err.push(bytes(MiB, "e"));
    out.push(Buffer.from("\n"));
    err.push(Buffer.from("\n"));
    const lines = text()
      .split("\n")
      .filter(Boolean)
      .map((line) => `${line.slice(0, "svc   | ".length + 1)}${line.length - "svc   | ".length}`);
    assert.deepEqual(lines, [
      `svc   | e${3 * MiB}`,
      `svc   | o${3 * MiB + 1}`,
      "svc   | 0",
      `svc   | e${MiB}`,
    ]);
  });

  it("asks the source to pause when a piece of a long line fills the output", () => {
    // Nobody reads this stream: a piece of MAX_LINE_BYTES is beyond its high-water mark.
    const mux = new OutputMux(new PassThrough(), ["svc"], {
      colors: picocolors.createColors(false),
      prefix: true,
      timestamps: false,
    });
    const sink = new LineSink(mux, mux.linePrefix("svc", "stdout"));
    assert.equal(sink.push(Buffer.alloc(MAX_LINE_BYTES, 0x61)), true);
    assert.equal(sink.push(Buffer.from("a")), false);
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

  it("gives a stream its own copy of framed lines: a later chunk (and the framer's memory growing) cannot change them", async () => {
    const stream = new PassThrough();
    const mux = new OutputMux(stream, ["svc"], {
      colors: picocolors.createColors(false),
      prefix: true,
      timestamps: false,
    });
    const sink = new LineSink(mux, mux.linePrefix("svc", "stdout"));
    const many = Array.from({ length: 40_000 }, (_, i) => `${i}`.padEnd(99, "y"));
    // Nothing is read until both chunks are in: the stream holds on to what it was given.
    sink.push(Buffer.from("first\nsecond\n"));
    sink.push(Buffer.from(many.map((line) => `${line}\n`).join("")));
    stream.end();
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const want = ["first", "second", ...many].map((line) => `svc | ${line}\n`).join("");
    assert.ok(Buffer.concat(chunks).toString() === want, "the output differs from the lines written");
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

describe("frameLinesPortable", () => {
  it("inserts the prefix before every line of a region", () => {
    const chunk = Buffer.from("a\nbb\nccc\n");
    assert.equal(frameLinesPortable(chunk, 0, chunk.length, "> ").data, "> a\n> bb\n> ccc\n");
    assert.equal(frameLinesPortable(chunk, 2, 5, "# ").data, "# bb\n");
  });

  it("keeps every byte value exact through the latin1 string", () => {
    const all = Buffer.from([...Array.from({ length: 256 }, (_, i) => i).filter((b) => b !== 10), 10]);
    const prefix = Buffer.from("é | "); // a multi-byte UTF-8 prefix, too
    const out = Buffer.from(
      frameLinesPortable(all, 0, all.length, prefix.toString("latin1")).data as string,
      "latin1",
    );
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

  it("frames short lines, long lines and mixes of them exactly, every byte value, with any prefix, both ways", (t) => {
    const { next, seed } = seededRandom(t);
    // 300 rounds a prefix under `npm run test:stress`; 60 in `npm test` (a third of the CPU time).
    const rounds = stressCount(300, 60);
    const ways = { frameLines, frameLinesPortable };
    for (const prefix of ["", "a | ", "é-service | 2026-11-27T10:00:00.000Z "].map((p) => Buffer.from(p))) {
      for (let round = 0; round < rounds; round++) {
        // Average line length from 1 to ~400 bytes, chunks up to ~1.6 MB (the framer's memory grows).
        const width = 1 + Math.floor(next() ** 2 * 400);
        const lines: Buffer[] = [];
        for (let i = 0, n = 1 + Math.floor(next() * 2000); i < n; i++) {
          const line = Buffer.allocUnsafe(Math.floor(next() * 2 * width) + 1);
          for (let k = 0; k < line.length - 1; k++) line[k] = (Math.floor(next() * 255) + 11) % 256;
          line[line.length - 1] = 10;
          lines.push(line);
        }
        // Two thirds of the rounds begin with a line held from earlier chunks.
        let body = Buffer.concat(lines);
        let held: Buffer | undefined;
        if (round % 3 > 0) {
          const newline = body.indexOf(10);
          held = body.subarray(0, newline);
          body = body.subarray(newline);
        }
        const head = Buffer.from("partial-before");
        const chunk = Buffer.concat([head, body, Buffer.from("partial-after")]);
        const end = chunk.length - "partial-after".length;
        const whole = Buffer.concat([held ?? Buffer.alloc(0), chunk.subarray(head.length, end)]);
        const want = expected(whole, 0, whole.length, prefix);
        for (const [name, frame] of Object.entries(ways)) {
          const framed = frame(chunk, head.length, end, prefix.toString("latin1"), held);
          const got = typeof framed.data === "string" ? Buffer.from(framed.data, "latin1") : framed.data;
          assert.equal(framed.lines, want.lines, `SEED=${seed}, ${name}, round ${round}: line count`);
          assert.ok(
            got.equals(want.bytes),
            `SEED=${seed}, ${name}, round ${round} (width ${width}, prefix "${prefix}"): bytes differ`,
          );
        }
      }
    }
  });

  it("takes the WebAssembly way from the first chunk of WASM_FROM_BYTES on, for every chunk after it (a Buffer, where the portable way gives a string)", () => {
    // A fresh process: in this one, earlier tests have compiled the module already.
    const script = [
      'import { frameLines, WASM_FROM_BYTES } from "./src/run/frame.ts";',
      'const small = Buffer.from("a\\nbb\\n");',
      'const big = Buffer.from("x".repeat(WASM_FROM_BYTES - 1) + "\\n");',
      'const way = (chunk) => typeof frameLines(chunk, 0, chunk.length, "> ").data;',
      "const ways = [way(small), way(small.subarray(0, 2)), way(big.subarray(1)), way(big), way(small)];",
      "console.log(JSON.stringify(ways));",
    ].join("\n");
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
      encoding: "utf8",
    });
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), ["string", "string", "string", "object", "object"]);
    const chunk = Buffer.from("a\nbb\n");
    assert.equal(typeof frameLinesPortable(chunk, 0, chunk.length, "> ").data, "string");
  });

  it("frames with the portable way under node --jitless (no WebAssembly there)", () => {
    const script = [
      'import { frameLines } from "./src/run/frame.ts";',
      'const chunk = Buffer.from("one\\ntwo\\n");',
      'const framed = frameLines(chunk, 0, chunk.length, "x | ");',
      "console.log(JSON.stringify({ wasm: typeof WebAssembly, type: typeof framed.data, data: String(framed.data), lines: framed.lines }));",
    ].join("\n");
    const run = spawnSync(
      process.execPath,
      ["--jitless", "--import", "tsx", "--input-type=module", "-e", script],
      {
        encoding: "utf8",
      },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), {
      wasm: "undefined",
      type: "string",
      data: "x | one\nx | two\n",
      lines: 2,
    });
  });
});
