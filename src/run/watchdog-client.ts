/** mirrord-up's side of the watchdog (see watchdog.ts): start it, tell it, release it. */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export class WatchdogClient {
  private readonly child: ChildProcess;

  constructor(graceMs: number, configDir: string, env: NodeJS.ProcessEnv) {
    const script = fileURLToPath(
      new URL(import.meta.url.endsWith(".ts") ? "./watchdog-main.ts" : "./watchdog-main.js", import.meta.url),
    );
    const args = script.endsWith(".ts") ? ["--import", "tsx", script] : [script];
    this.child = spawn(process.execPath, args, {
      // Its own group and no terminal: it must outlive a SIGKILL of mirrord-up's group.
      detached: true,
      stdio: ["pipe", "ignore", "ignore"],
      env,
    });
    this.child.unref();
    this.child.stdin?.on("error", () => {}); // the watchdog gone is not our error
    (this.child.stdin as unknown as { unref?: () => void })?.unref?.();
    this.send(`grace ${graceMs}`);
    this.send(`dir ${configDir}`);
  }

  /** Records a session's process group. */
  watchGroup(pgid: number): void {
    this.send(`group ${pgid}`);
  }

  /** Everything is stopped and cleaned up: the watchdog may exit without acting. */
  release(): void {
    this.send("done");
    this.child.stdin?.end();
  }

  private send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }
}
