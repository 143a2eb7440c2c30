import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { sha256Hex } from "../src/text/sha256.js";
import { seededRandom } from "./helpers/random.js";

const reference = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

test("sha256Hex agrees with node:crypto on the standard vectors", () => {
  assert.equal(sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assert.equal(sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert.equal(
    sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
  );
});

test("sha256Hex agrees with node:crypto at every length around the block boundaries, and on non-ASCII paths", (t) => {
  for (let n = 0; n <= 200; n++) {
    const text = "/home/dev/project/".repeat(12).slice(0, n);
    assert.equal(sha256Hex(text), reference(text), `length ${n}`);
  }
  for (const text of ["/tmp/ünïcødé/mirrord-up.yaml", "/srv/日本語/服务.yaml", "/x/😀/y", "a\nb\0c"]) {
    assert.equal(sha256Hex(text), reference(text), text);
  }
  const { next, seed } = seededRandom(t);
  for (let i = 0; i < 200; i++) {
    const bytes = Buffer.from(Array.from({ length: 1 + (i % 150) }, () => Math.floor(next() * 256)));
    const text = bytes.toString("latin1");
    assert.equal(sha256Hex(text), reference(text), `SEED=${seed}, input ${i}`);
  }
});
