/**
 * The last `size` bytes of a stream, kept in one buffer allocated once: a chunk costs a copy of at
 * most `size` bytes, and no chunk is retained (a flood's 64 KiB reads stay short-lived garbage).
 */
export class ByteTail {
  private readonly bytes: Buffer;
  private length = 0;

  constructor(readonly size: number) {
    this.bytes = Buffer.alloc(size);
  }

  push(chunk: Uint8Array): void {
    if (chunk.length >= this.size) {
      this.bytes.set(chunk.subarray(chunk.length - this.size));
      this.length = this.size;
      return;
    }
    const keep = Math.min(this.length, this.size - chunk.length);
    this.bytes.copyWithin(0, this.length - keep, this.length);
    this.bytes.set(chunk, keep);
    this.length = keep + chunk.length;
  }

  /** What is kept, as a view: valid until the next push. */
  view(): Buffer {
    return this.bytes.subarray(0, this.length);
  }
}
