/**
 * `node:http`, loaded when first needed: most `up` runs never serve or send a request, and
 * loading it costs ~1 MiB of memory for the whole run and ~2.5 ms of start-up (bench/README.md).
 */
export const nodeHttp = (): typeof import("node:http") => process.getBuiltinModule("node:http");
