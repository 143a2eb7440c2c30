// The far end of a pipe that is slower than the writer: copies a FIFO into a file, either at a
// bounded rate or pausing now and then. Prints "open" on stdout once the FIFO is open.
//
//   node reader.mjs FIFO OUT [--rate BYTES_PER_S] [--stall RUN_MS:PAUSE_MS]
//
// Synchronous reads and writes: nothing else runs in this process, and a blocking read on a FIFO
// is exactly what a slow consumer (a pager, a `grep` on a busy machine) does.
import { closeSync, openSync, readSync, writeSync } from "node:fs";

const [fifo, out, ...options] = process.argv.slice(2);
const option = (name) => (options.includes(name) ? options[options.indexOf(name) + 1] : undefined);
const rate = Number(option("--rate") ?? 0);
const [runMs, pauseMs] = (option("--stall") ?? "0:0").split(":").map(Number);

const input = openSync(fifo, "r");
const output = openSync(out, "w");
writeSync(1, "open\n");

const buffer = Buffer.allocUnsafe(rate ? 16 * 1024 : 1024 * 1024);
const cell = new Int32Array(new SharedArrayBuffer(4));
const pause = (ms) => {
  if (ms > 0) Atomics.wait(cell, 0, 0, ms);
};
let first = 0;
let total = 0;
let since = 0;
for (;;) {
  const n = readSync(input, buffer, 0, buffer.length, null);
  if (n === 0) break;
  if (!first) {
    first = performance.now();
    since = first;
  }
  let done = 0;
  while (done < n) done += writeSync(output, buffer, done, n - done);
  total += n;
  // The rate counts from the first byte: the writer's own start-up is not credited to the reader.
  if (rate) pause(first + (total / rate) * 1000 - performance.now());
  if (runMs && performance.now() - since >= runMs) {
    pause(pauseMs);
    since = performance.now();
  }
}
closeSync(output);
closeSync(input);
