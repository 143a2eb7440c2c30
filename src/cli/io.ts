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
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    username: () => userInfo().username,
  };
}
