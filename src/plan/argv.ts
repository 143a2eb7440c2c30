/** The command line for one session: pure, so it is tested without starting anything. */
import type { SessionPlan } from "./assemble.js";

export interface SessionArgv {
  file: string;
  args: string[];
}

/**
 * `<mirrord> exec|container -f <file> --key <key> [--context <ctx>] -- <command...>`.
 * `-f` always has a value and `--` always follows: mirrord's `-f` takes an optional value, so a
 * bare `-f` would silently mean `.mirrord/mirrord.json`. `--key` and `--context` are passed even
 * though the file holds them, because `MIRRORD_KEY` and `MIRRORD_KUBE_CONTEXT` in the environment
 * would otherwise beat the file. A local service is its own command.
 */
export function sessionArgv(
  session: SessionPlan,
  mirrord: string,
  configFile: string,
  key: string,
): SessionArgv {
  if (session.type === "local") {
    const [program, ...rest] = session.command;
    return { file: program as string, args: rest };
  }
  return {
    file: mirrord,
    args: [
      session.type,
      "-f",
      configFile,
      "--key",
      key,
      ...(session.context !== undefined ? ["--context", session.context] : []),
      "--",
      ...session.command,
    ],
  };
}
