import { UserError } from "../core/errors.js";
import { describeErrno } from "../core/files.js";

/** What a command may touch of the outside world; the real one is `processIO()`. */
export interface CliIO {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** The OS user name, the default session key. */
  username(): string;
}

export async function processIO(): Promise<CliIO> {
  const { userInfo } = await import("node:os");
  return {
    // Made when asked for: only prompts read stdin, and a stdin that is a file (`< /dev/null`, a
    // service manager) would load Node's file streams and promises (~0.5 MiB) for nothing.
    get stdin() {
      return process.stdin;
    },
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    username: () => userInfo().username,
  };
}

const quietOnError = new WeakSet<NodeJS.WritableStream>();

/**
 * Writes a command's output and waits until it is written: a failed write (a full disk,
 * `> /dev/full`) is an error with its cause, not a success with the output cut short. A reader
 * that went away (`| head`) is not an error: the output was not wanted any more.
 */
export async function writeOutput(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (!quietOnError.has(stream)) {
    // The write's callback gets the error; without a listener the 'error' event would crash.
    stream.on("error", () => {});
    quietOnError.add(stream);
  }
  const error = await new Promise<Error | null | undefined>((resolve) => stream.write(text, resolve));
  if (!error) return;
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EPIPE") return;
  throw new UserError({ message: `cannot write the output: ${describeErrno(code)}` });
}
