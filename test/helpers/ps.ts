/** `mirrord-up ps --format json` against a running `up`, in its directory and environment. */
import { spawn } from "node:child_process";
import type { ServiceStatus } from "../../src/run/control-types.js";
import { BIN } from "./paths.js";
import { MARKER_VAR } from "./processes.js";
import type { UpRun } from "./up.js";

export function ps(run: UpRun): Promise<ServiceStatus[]> {
  const child = spawn(process.execPath, [BIN, "ps", "--format", "json"], {
    cwd: run.dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: run.dir, [MARKER_VAR]: run.marker },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    err += c.toString();
  });
  return new Promise((resolve, reject) =>
    child.on("close", (code) => {
      if (code !== 0) reject(new Error(`ps exited with ${code}: ${err}`));
      else resolve(JSON.parse(out) as ServiceStatus[]);
    }),
  );
}

/** The row of `name`. */
export async function psRow(run: UpRun, name: string): Promise<ServiceStatus> {
  const row = (await ps(run)).find((r) => r.name === name);
  if (!row) throw new Error(`no row for ${name}`);
  return row;
}
