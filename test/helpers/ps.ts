/** Client commands (`ps`, `dashboard`, `down`, ...) in their own process, beside a running `up`. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ServiceStatus } from "../../src/run/control-types.js";
import { BIN_ARGS } from "./paths.js";
import { MARKER_VAR } from "./processes.js";
import type { UpRun } from "./up.js";

export interface Cli {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A client command (`ps`, `dashboard`, `down`) in its own process, beside the run. */
export function client(run: UpRun, args: string[]): Promise<Cli> {
  return runBin(args, {
    cwd: run.dir,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: run.dir, [MARKER_VAR]: run.marker },
  });
}

/** The real binary, run to its end in `cwd` with exactly `env`. */
export function runBin(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Cli> {
  const child = spawn(process.execPath, [...BIN_ARGS, ...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  return new Promise((resolve) => {
    child.on("error", (error) => resolve({ code: null, stdout, stderr: `${stderr}${error.message}` }));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

export async function ps(run: UpRun): Promise<ServiceStatus[]> {
  const r = await client(run, ["ps", "--format", "json"]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as ServiceStatus[];
}

/** The row of `name`. */
export async function psRow(run: UpRun, name: string): Promise<ServiceStatus> {
  const row = (await ps(run)).find((r) => r.name === name);
  if (!row) throw new Error(`no row for ${name}`);
  return row;
}
