/** ByteTail keeps the last bytes of a session's early output (the "ended at once" hint reads them). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ByteTail } from "../src/text/byte-tail.js";
import { seededRandom } from "./helpers/random.js";

describe("ByteTail", () => {
  it("holds exactly the last `size` bytes of what was pushed, whatever the chunk sizes", (t) => {
    const random = seededRandom(t);
    for (let round = 0; round < 200; round++) {
      const size = 1 + Math.floor(random.next() * 64);
      const tail = new ByteTail(size);
      let all = Buffer.alloc(0);
      const chunks = Math.floor(random.next() * 12);
      for (let i = 0; i < chunks; i++) {
        const length = Math.floor(random.next() * size * 2.5);
        const chunk = Buffer.from(Array.from({ length }, () => Math.floor(random.next() * 256)));
        tail.push(chunk);
        all = Buffer.concat([all, chunk]);
        assert.deepEqual(
          tail.view(),
          all.subarray(Math.max(0, all.length - size)),
          `round ${round}, chunk ${i}`,
        );
      }
    }
  });

  it("keeps no pushed chunk alive: what it holds is its own copy", () => {
    const tail = new ByteTail(8);
    const chunk = Buffer.from("a chunk longer than eight bytes");
    tail.push(chunk);
    chunk.fill(0);
    assert.equal(tail.view().toString(), "ht bytes");
    assert.notEqual(tail.view().buffer, chunk.buffer);
  });
});
