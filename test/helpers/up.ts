/**
 * Runs the real `mirrord-up` binary against the stand-in mirrord, in a temp directory, with a
 * marker in its environment. Every process it leaves is SIGKILLed when the test file ends, even
 * when a test fails.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { after } from "node:test";
import { BIN_ARGS, REPO_ROOT } from "./paths.js";
import { killMarked, MARKER_VAR, newMarker, processesWithMarker } from "./processes.js";
import { tempDir } from "./tmp.js";
import { waitUntil } from "./wait.js";

/** The stand-in mirrord users run too (examples/mirrord-stand-in/README.md). */
export const FAKE_MIRRORD = join(REPO_ROOT, "examples", "mirrord-stand-in", "mirrord");

/** One mirrord session (through the stand-in, which execs) and one local service, both sleeping. */
export const TWO_SLEEPERS = `
services:
  api:
    target: {path: deployment/api}
    run: {command: [sleep, "300"]}
  web:
    run: {type: local, command: [sleep, "300"]}
`;
export const FIXTURES = join(REPO_ROOT, "test", "fixtures");

const markers: string[] = [];
after(() => {
  for (const marker of markers) killMarked(marker);
});

export interface UpRun {
  child: ChildProcess;
  marker: string;
  dir: string;
  /** Raw stdout bytes so far. */
  stdout(): Buffer;
  stderr(): string;
  /** Resolves when mirrord-up has exited (after its streams closed). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits until stdout contains `text`. */
  waitForOutput(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Records the stand-in wrote (one per mirrord session started). */
  mirrordLog(): MirrordRecord[];
}

export interface MirrordRecord {
  sub: string;
  argv: string[];
  file: string;
  key: string;
  context?: string;
  command: string[];
  config: Record<string, unknown> & { feature?: { env?: { override?: Record<string, string> } } };
  pid: number;
  fileMode: number;
  dirMode: number;
  progressMode?: string;
}

export interface UpOptions {
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Extra files to write next to mirrord-up.yaml (paths may name subdirectories). */
  files?: Record<string, string>;
  /** Where mirrord-up runs, relative to the directory holding mirrord-up.yaml (default: there). */
  cwd?: string;
  /** A pipe the test writes to (`child.stdin`); /dev/null otherwise. */
  stdin?: "pipe";
}

export function startUp(config: string, options: UpOptions = {}): UpRun {
  const dir = tempDir();
  writeFileSync(join(dir, "mirrord-up.yaml"), config);
  for (const [name, text] of Object.entries(options.files ?? {})) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const cwd = join(dir, options.cwd ?? ".");
  mkdirSync(cwd, { recursive: true });
  const marker = newMarker();
  markers.push(marker);
  const log = join(dir, "mirrord.log");
  const args = options.args ?? [];
  // The key goes after the user's arguments, so that a leading subcommand (`up`) stays first.
  const keyArgs = args.includes("-k") || args.includes("--key") ? [] : ["-k", "tester"];
  const child = spawn(process.execPath, [...BIN_ARGS, ...args, ...keyArgs], {
    cwd,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: dir,
      MIRRORD_BIN: FAKE_MIRRORD,
      FAKE_MIRRORD_LOG: log,
      [MARKER_VAR]: marker,
      ...options.env,
    },
    stdio: [options.stdin ?? "ignore", "pipe", "pipe"],
  });
  const out: Buffer[] = [];
  let err = "";
  child.stdout?.on("data", (c: Buffer) => out.push(c));
  child.stderr?.on("data", (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  const stdout = () => Buffer.concat(out);
  return {
    child,
    marker,
    dir,
    stdout,
    stderr: () => err,
    exited,
    waitForOutput: (text, timeoutMs = 60_000) =>
      waitUntil(
        () => {
          const s = stdout().toString();
          return typeof text === "string" ? s.includes(text) : text.test(s);
        },
        timeoutMs,
        `output ${String(text)}\n--- stdout so far ---\n${stdout().toString()}\n--- stderr ---\n${err}`,
      ).then(() => undefined),
    mirrordLog: () =>
      existsSync(log)
        ? readFileSync(log, "utf8")
            .trim()
            .split("\n")
            .filter(Boolean)
            .map((l) => JSON.parse(l) as MirrordRecord)
        : [],
  };
}

/** The control sockets in a run's runtime directory (TMPDIR is its own directory). */
export function socketsOf(run: UpRun): string[] {
  const dir = join(run.dir, `mirrord-up-${process.getuid?.() ?? 0}`);
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((n) => n.endsWith(".sock"))
        .map((n) => join(dir, n))
    : [];
}

/** Runs mirrord-up to completion. */
export async function runUp(config: string, options: UpOptions = {}) {
  const run = startUp(config, options);
  const result = await run.exited;
  return { ...result, run, stdout: run.stdout().toString(), stderr: run.stderr() };
}

/** Waits until no process with the marker is alive, and returns what was still alive on timeout. */
export async function nothingLeft(marker: string, timeoutMs = 30_000): Promise<void> {
  await waitUntil(
    () => processesWithMarker(marker).length === 0,
    timeoutMs,
    "every marked process to be gone",
  ).catch((error: Error) => {
    throw new Error(`${error.message}: ${JSON.stringify(processesWithMarker(marker), null, 1)}`);
  });
}
