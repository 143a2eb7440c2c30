/**
 * The framing of one 64 KiB chunk of lines in isolation, by line length: the WebAssembly framer
 * (`frameLines`, src/run/frame.ts) against the portable one (latin1 string and `replaceAll`, used
 * where Node has no WebAssembly), each result made a Buffer.
 *
 *   node --import tsx bench/framing.ts
 */
import { frameLines, frameLinesPortable } from "../src/run/frame.js";

const prefix = Buffer.from("api    | ").toString("latin1");

function chunkOf(width: number): Buffer {
  let text = "";
  for (let i = 0; text.length < 65_536 - width; i++) text += `${`L${i}`.padEnd(width - 1, "x")}\n`;
  return Buffer.from(text, "latin1");
}

function time(run: () => void, bytes: number, chunk: Buffer): number {
  for (let i = 0; i < 200; i++) run();
  const n = Math.ceil(bytes / chunk.length);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) run();
  return performance.now() - t0;
}

console.log("| line bytes | portable (replaceAll) | WebAssembly | portable / WebAssembly |");
console.log("| --- | --- | --- | --- |");
for (const width of [10, 20, 32, 40, 48, 56, 64, 80, 100, 200]) {
  const chunk = chunkOf(width);
  const toBuffer = (data: Buffer | string) => (typeof data === "string" ? Buffer.from(data, "latin1") : data);
  if (
    !toBuffer(frameLines(chunk, 0, chunk.length, prefix).data).equals(
      toBuffer(frameLinesPortable(chunk, 0, chunk.length, prefix).data),
    )
  )
    throw new Error(`width ${width}: the two framers differ`);
  const bytes = 200e6;
  const a = time(() => toBuffer(frameLinesPortable(chunk, 0, chunk.length, prefix).data), bytes, chunk);
  const b = time(() => toBuffer(frameLines(chunk, 0, chunk.length, prefix).data), bytes, chunk);
  console.log(
    `| ${width} | ${a.toFixed(0)} ms / 200 MB | ${b.toFixed(0)} ms / 200 MB | ${(a / b).toFixed(2)}× |`,
  );
}
