/**
 * Node modules that `up` needs only for some features, loaded on first use: `node:crypto` for the
 * dashboard and `--watch` (~2 MiB of memory for the whole run), `node:http` once a client connects
 * or a request is sent (~1 MiB and ~2.5 ms of start-up), `node:zlib` when `slugify` meets
 * non-ASCII text. bench/README.md has the measurements.
 */
import { closeSync, openSync, readSync } from "node:fs";

export const nodeCrypto = (): typeof import("node:crypto") => process.getBuiltinModule("node:crypto");

export const nodeHttp = (): typeof import("node:http") => process.getBuiltinModule("node:http");

export const nodeZlib = (): typeof import("node:zlib") => process.getBuiltinModule("node:zlib");

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
