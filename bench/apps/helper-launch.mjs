// A bound, not a contender: how soon N `sh -c` commands could run if a small shell, rather than
// Node, forked them. Node forks itself once, for the helper; the helper forks each command.
//
//   node helper-launch.mjs sh     COMMAND...   dash runs each in the background; their output
//                                              shares the helper's stdout, one pipe read by Node
//   node helper-launch.mjs groups COMMAND...   bash with job control (`set -m`: each command in
//                                              its own process group, as a session needs), each
//                                              command's stdout and stderr its own pipe to Node
//
// What a real helper would still have to do is left out: a gate until the group is recorded, a
// working directory and environment per service, reporting pids and exit statuses back, closing
// the other commands' pipes in each child. So this bounds the launch from below. Node's own floor,
// one `spawn` per command, is `floor.mjs raw` (the same commands, stdout piped). bench/README.md
// compares them with mirrord-up and concurrently.
import { spawn } from "node:child_process";

const [mode, ...commands] = process.argv.slice(2);
const drain = (stream) => stream?.on("data", () => {});
let helper;
if (mode === "sh") {
  // Background commands of a non-interactive shell ignore SIGINT: the helper's trap stops them.
  const script =
    'trap \'kill $pids 2>/dev/null; exit 0\' INT TERM; for c; do sh -c "$c" & pids="$pids $!"; done; wait';
  helper = spawn("/bin/sh", ["-c", script, "helper", ...commands], {
    stdio: ["ignore", "pipe", "pipe"],
  });
} else if (mode === "groups") {
  // fd 3 + i is command i's pipe; stderr joins stdout (one pipe per command keeps bash's
  // redirections simple; a session has two, which costs Node a second socket per command).
  const script =
    "set -m; trap 'for p in $(jobs -p); do kill -- -$p 2>/dev/null; done; exit 0' INT TERM; i=3; for c; do sh -c \"$c\" >&$i 2>&1 & i=$((i + 1)); done; wait";
  helper = spawn("bash", ["-c", script, "helper", ...commands], {
    stdio: ["ignore", "pipe", "pipe", ...commands.map(() => "pipe")],
  });
} else {
  throw new Error(`mode: sh or groups, not ${mode}`);
}
for (const stream of helper.stdio) drain(stream);
helper.on("exit", (code) => process.exit(code ?? 1));
// Stopped like the tools are: SIGINT to this process's group; the commands are in theirs.
process.on("SIGINT", () => helper.kill("SIGTERM"));
