/**
 * mirrord-up on a real terminal: `script` (util-linux) runs it on a pseudo-terminal, and the test
 * types into it. Ctrl-C is the byte 0x03 going through the terminal's line discipline, which
 * sends SIGINT to the foreground process group, exactly as when a person presses it.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { BIN_ARGS } from "./paths.js";
import { MARKER_VAR, newMarker } from "./processes.js";
import { tempDir } from "./tmp.js";
import { FAKE_MIRRORD } from "./up.js";

/** `mirrord-up -k k ARGS` (words without quotes) in a fresh directory holding `config` and `files`. */
export function onTerminal(config: string, options: { args?: string; files?: Record<string, string> } = {}) {
  const dir = tempDir();
  writeFileSync(join(dir, "mirrord-up.yaml"), config);
  for (const [name, text] of Object.entries(options.files ?? {})) writeFileSync(join(dir, name), text);
  const marker = newMarker();
  const command = `exec ${[process.execPath, ...BIN_ARGS].join(" ")} -k k${options.args ? ` ${options.args}` : ""}`;
  const child = spawn("script", ["-qefc", command, "/dev/null"], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      TERM: "xterm",
      TMPDIR: dir,
      MIRRORD_BIN: FAKE_MIRRORD,
      [MARKER_VAR]: marker,
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => {
    out += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  // `raw` keeps the colour codes; `output` is what a person reads.
  return { child, marker, exited, raw: () => out, output: () => stripVTControlCharacters(out) };
}
