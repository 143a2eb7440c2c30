/** Runs the real CLI in-process with captured output; no module of ours is replaced. */
import { Readable, Writable } from "node:stream";
import type { CliIO } from "../../src/cli/io.js";
import { runCli } from "../../src/cli/main.js";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

class Collector extends Writable {
  text = "";
  isTTY = false;
  override _write(chunk: Buffer | string, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export async function runCliCaptured(
  argv: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; username?: string },
): Promise<CliResult> {
  const stdout = new Collector();
  const stderr = new Collector();
  const io: CliIO = {
    stdin: Readable.from([]),
    stdout,
    stderr,
    env: options.env ?? {},
    cwd: options.cwd,
    username: () => options.username ?? "tester",
  };
  const code = await runCli(argv, io);
  return { code, stdout: stdout.text, stderr: stderr.text };
}
