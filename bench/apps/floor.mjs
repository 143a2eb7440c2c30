// A bound, not a contender: the least one Node process can do with the sustained scenario's
// output. It runs the same `sh -c` commands with their stdout piped, as mirrord-up does, and
// writes to its stdout (a file) with fs.writeSync:
//
//   node floor.mjs raw    COMMAND...   each chunk as it was read: no prefix, no line handling
//   node floor.mjs framed COMMAND...   whole lines only, `s<i> | ` before each, framed as
//                                      mirrord-up frames long lines (latin1 string, replaceAll)
//
// Nothing else: no log buffer, no status lines, no partial-line timer, no backpressure. The CPU
// it uses per line (measured from outside, like the tools') is what bounds a single-threaded
// Node design; bench/README.md compares it with the targets.
import { spawn } from "node:child_process";
import { writeSync } from "node:fs";

const [mode, ...commands] = process.argv.slice(2);
if (mode !== "raw" && mode !== "framed") throw new Error(`mode: raw or framed, not ${mode}`);

const writeAll = (data) => {
  let bytes = data;
  if (typeof data === "string") {
    const written = writeSync(1, data, null, "latin1");
    if (written === data.length) return;
    bytes = Buffer.from(data.slice(written), "latin1");
  }
  for (let at = 0; at < bytes.length; ) at += writeSync(1, bytes, at);
};

commands.forEach((command, i) => {
  const child = spawn("sh", ["-c", command], { stdio: ["ignore", "pipe", "inherit"] });
  const prefix = `s${i} | `;
  let partial = "";
  child.stdout.on("data", (chunk) => {
    if (mode === "raw") return writeAll(chunk);
    const text = partial + chunk.latin1Slice(0, chunk.length);
    const last = text.lastIndexOf("\n");
    partial = text.slice(last + 1);
    if (last >= 0) writeAll(`${prefix}${text.slice(0, last).replaceAll("\n", `\n${prefix}`)}\n`);
  });
  child.stdout.on("end", () => {
    if (partial) writeAll(`${prefix}${partial}\n`);
  });
});
