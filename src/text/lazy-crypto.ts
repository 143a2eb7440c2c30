/**
 * Randomness and hashing without loading `node:crypto` up front: `up` only needs it for the
 * dashboard and for `--watch`, and loading it costs ~2 MiB of memory for the whole run
 * (bench/README.md).
 */
import { closeSync, openSync, readSync } from "node:fs";
import { createRequire } from "node:module";

let loaded: typeof import("node:crypto") | undefined;

/** `node:crypto`, loaded on first use. */
export function nodeCrypto(): typeof import("node:crypto") {
  loaded ??= createRequire(import.meta.url)("node:crypto") as typeof import("node:crypto");
  return loaded;
}

/** `bytes` random bytes from the kernel (`/dev/urandom`), as lower-case hex. */
export function randomHex(bytes: number): string {
  const buffer = Buffer.alloc(bytes);
  const fd = openSync("/dev/urandom", "r");
  try {
    let got = 0;
    while (got < bytes) got += readSync(fd, buffer, got, bytes - got, null);
  } finally {
    closeSync(fd);
  }
  return buffer.toString("hex");
}
