/** The command line for one session: pure, so it is tested without starting anything. */
import type { SessionPlan } from "./assemble.js";

export interface SessionArgv {
  file: string;
  args: string[];
}

/**
 * `<mirrord> exec|container -f <file> [--key <key>] [--context <ctx>] -- <command...>`.
 * `-f` always has a value and `--` always follows: mirrord's `-f` takes an optional value, so a
 * bare `-f` would silently mean `.mirrord/mirrord.json`. `--key` makes mirrord take the key as
 * *provided*, so it is passed only for such keys; a *generated* key (the user-name default, as
 * upstream) goes through the session's environment instead (`sessionEnv`). `--context` repeats the
 * file's `kube_context`. A local service is its own command.
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
      ...(session.keyKind !== "generated" ? ["--key", key] : []),
      ...(session.context !== undefined ? ["--context", session.context] : []),
      "--",
      ...session.command,
    ],
  };
}
