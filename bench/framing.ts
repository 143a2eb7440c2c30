/**
 * The framing of one chunk of lines in isolation, by line length: `frameLines` (src/run/output.ts)
 * against `replaceAll` alone, which is what it does for long lines. In a quiet heap this favours
 * `replaceAll` more than a running `up` does: SHORT_LINE_BYTES was set from end-to-end runs
 * (bench/README.md).
 *
 *   node --import tsx bench/framing.ts
 */
import { frameLines, prefixLines } from "../src/run/output.js";

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

console.log("| line bytes | replaceAll + latin1 Buffer | frameLines | |");
console.log("| --- | --- | --- | --- |");
for (const width of [10, 20, 32, 40, 48, 56, 64, 80, 100, 200]) {
  const chunk = chunkOf(width);
  const toBuffer = (data: Buffer | string) => (typeof data === "string" ? Buffer.from(data, "latin1") : data);
  const expected = Buffer.from(prefixLines(chunk, 0, chunk.length, prefix), "latin1");
  if (!toBuffer(frameLines(chunk, 0, chunk.length, prefix).data).equals(expected))
    throw new Error(`width ${width}: differs`);
  const bytes = 200e6;
  const a = time(() => Buffer.from(prefixLines(chunk, 0, chunk.length, prefix), "latin1"), bytes, chunk);
  const b = time(() => toBuffer(frameLines(chunk, 0, chunk.length, prefix).data), bytes, chunk);
  console.log(
    `| ${width} | ${a.toFixed(0)} ms / 200 MB | ${b.toFixed(0)} ms / 200 MB | ${(a / b).toFixed(2)}× |`,
  );
}
