/**
 * Framing: whole lines of a service with its prefix (`name | `) before each, the hot path of a
 * chatty `up`. A WebAssembly module (frame.wat) finds the newlines and copies the bytes 16 at a
 * time; without WebAssembly (`node --jitless`) the lines are read as a `latin1` string and V8's
 * native `replaceAll` inserts the prefix, which is also the way until a chunk of 4 KiB comes. Both
 * keep every byte value exact (bench/README.md).
 */
import { FRAME_WASM } from "./frame-wasm.js";

/** Framed lines: `data` to be written (a string as `latin1`), and how many lines it holds. */
interface Framed {
  data: Buffer | string;
  lines: number;
}

/**
 * `held` (when given) followed by `chunk[start, end)` is whole lines; a framer returns those lines
 * with `prefix` (a `latin1` string) before each, and how many lines there are.
 */
export type Framer = (chunk: Buffer, start: number, end: number, prefix: string, held?: Buffer) => Framed;

/**
 * The first chunk this big compiles the WebAssembly framer. Before one comes, the portable way
 * frames: services that print a few lines now and then never load the module, which costs ~1 MiB
 * of Node's compiler pages and its compile threads' memory. A busy service reads up to 64 KiB at a
 * time; below ~1 KiB the two ways differ by well under a microsecond per chunk.
 *
 * @public test/output-framer.test.ts reads it in a child process, where knip does not look.
 */
export const WASM_FROM_BYTES = 4096;

/**
 * The framer: WebAssembly where there is, from the first chunk of WASM_FROM_BYTES on. A Buffer
 * returned may be a view of the framer's memory: it is only valid until the next call, so write
 * it or copy it at once.
 */
export const frameLines: Framer = (chunk, start, end, prefix, held) => {
  const wasm = framer === undefined && end - start < WASM_FROM_BYTES ? null : wasmFramer();
  return wasm?.frame(chunk, start, end, prefix, held) ?? frameLinesPortable(chunk, start, end, prefix, held);
};

/** The framer without WebAssembly: `replaceAll` on the lines read as a latin1 string. */
export const frameLinesPortable: Framer = (chunk, start, end, prefix, held) => {
  if (held) {
    const lines = Buffer.concat([held, chunk.subarray(start, end)]);
    return frameLinesPortable(lines, 0, lines.length, prefix);
  }
  const text = chunk.toString("latin1", start, end);
  if (prefix.length === 0) {
    let lines = 0;
    for (let at = text.indexOf("\n"); at >= 0; at = text.indexOf("\n", at + 1)) lines++;
    return { data: chunk.subarray(start, end), lines };
  }
  const data = prefixText(text, prefix);
  // Each line gained one prefix.
  return { data, lines: (data.length - text.length) / prefix.length };
};

/** `lines` (latin1, each ending with a newline) with `prefix` before each. */
export function prefixText(lines: string, prefix: string): string {
  if (prefix.length === 0) return lines;
  return `${prefix}${lines.slice(0, -1).replaceAll("\n", `\n${prefix}`)}\n`;
}

/** Room the module's 16-byte loads and stores may use past the end of what they read or write. */
const SLACK = 16;
const PAGE = 65_536;
/**
 * Lines and framed output beyond this take the portable way, so the module's memory (which never
 * shrinks) stays small: a pipe read is at most 64 KiB.
 */
const MAX_WASM_BYTES = 4 * 1024 * 1024;

const roundUp = (n: number) => (n + SLACK - 1) & ~(SLACK - 1);

/** The part of the WebAssembly API used here (Node's types do not declare it). */
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: object };
};

interface FrameExports {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  count(src: number, n: number): number;
  frame(pfx: number, p: number, src: number, lines: number, dst: number): number;
}

/**
 * The compiled frame.wat and its memory, laid out per call as prefix, lines, output (each with
 * SLACK after it). The memory grows to the largest chunk seen (a pipe read is at most 64 KiB).
 */
class WasmFramer {
  private bytes: Buffer;

  constructor(private readonly exports: FrameExports) {
    this.bytes = Buffer.from(exports.memory.buffer);
  }

  frame(chunk: Buffer, start: number, end: number, prefix: string, held?: Buffer): Framed | undefined {
    const n = end - start + (held?.length ?? 0);
    const p = prefix.length;
    const src = roundUp(p) + SLACK;
    if (n > MAX_WASM_BYTES || !this.reserve(src + n + SLACK)) return undefined;
    const bytes = this.bytes;
    bytes.write(prefix, 0, "latin1");
    const at = held ? src + held.copy(bytes, src) : src;
    chunk.copy(bytes, at, start, end);
    // `count` reads whole 16-byte steps: what follows the lines must not look like a newline.
    bytes.fill(0, src + n, src + n + SLACK);
    const lines = this.exports.count(src, n);
    if (p === 0) return { data: this.bytes.subarray(src, src + n), lines };
    const dst = roundUp(src + n + SLACK);
    if (n + lines * p > MAX_WASM_BYTES || !this.reserve(dst + n + lines * p + SLACK)) return undefined;
    const out = this.exports.frame(0, p, src, lines, dst);
    return { data: this.bytes.subarray(dst, out), lines };
  }

  /** Makes the memory at least `size` bytes; false if it cannot grow (then the portable way is taken). */
  private reserve(size: number): boolean {
    const { memory } = this.exports;
    if (size <= memory.buffer.byteLength) return true;
    try {
      memory.grow(Math.ceil((size - memory.buffer.byteLength) / PAGE));
    } catch {
      return false;
    }
    // Growing replaces the memory's ArrayBuffer.
    this.bytes = Buffer.from(memory.buffer);
    return true;
  }
}

let framer: WasmFramer | null | undefined;

/** The WebAssembly framer, compiled on first use; null where WebAssembly (or its SIMD) is missing. */
function wasmFramer(): WasmFramer | null {
  if (framer !== undefined) return framer;
  try {
    const module = new WebAssembly.Module(Buffer.from(FRAME_WASM, "base64"));
    framer = new WasmFramer(new WebAssembly.Instance(module).exports as unknown as FrameExports);
  } catch {
    framer = null;
  }
  return framer;
}
