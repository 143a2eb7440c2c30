/**
 * `-u, --ui`: mirrord's session monitor beside the sessions, started as upstream `mirrord up -u`
 * starts it (mirrord/cli/src/up.rs): on mirrord's default port 59281 and without opening a
 * browser. `mirrord ui --no-browser` starts the server in the background, prints where it is and
 * exits; the server stays in the process group created here, so it is stopped with the sessions
 * (an already running monitor belongs to someone else and is left alone). A failure is a warning
 * and the sessions carry on, as upstream.
 */
import { spawn } from "node:child_process";
import type { OutputMux } from "./output.js";

/** The arguments: mirrord's `UiCommonArgs` with upstream's values (default port, no browser). */
const UI_ARGS = ["ui", "--no-browser"] as const;

/** Starts `mirrord ui`; returns its process group id (to stop it with the rest), if it started. */
export function startUi(
  mirrord: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
  mux: OutputMux,
): number | undefined {
  const child = spawn(mirrord, [...UI_ARGS], {
    cwd,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let announced = false;
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout = (stdout + chunk.toString()).slice(-8000);
    if (announced) return;
    const where = uiAddress(stdout);
    if (where) {
      announced = true;
      mux.notice(`mirrord-up: mirrord ui ${where.alreadyRunning ? "(already running) " : ""}at ${where.url}`);
    }
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  child.on("error", (error) =>
    mux.notice(`mirrord-up: warning: mirrord ui did not start: ${error.message}`, "warn"),
  );
  child.on("exit", (code, signal) => {
    if (code === 0 || signal) return;
    const why = failureLine(stderr);
    mux.notice(
      `mirrord-up: warning: mirrord ui exited with code ${code}${why ? `: ${why}` : ""}; carrying on without it`,
      "warn",
    );
  });
  child.unref();
  return child.pid;
}

/**
 * The address in `mirrord ui`'s report: the `Web UI` line (`-> http://127.0.0.1:59281/auth?...`);
 * the URL carries the monitor's local access token, which the browser needs to get in.
 */
export function uiAddress(output: string): { url: string; alreadyRunning: boolean } | undefined {
  const url = /https?:\/\/[^\s"'<>]+/.exec(output)?.[0];
  if (!url) return undefined;
  return { url, alreadyRunning: /already running/i.test(output) };
}

/** The line that says what went wrong: clap's `error: ...`, mirrord's `Error: ...`, else the last. */
function failureLine(stderr: string): string {
  const lines = stderr
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.find((l) => /^error:/i.test(l)) ?? lines.at(-1) ?? "";
}
