/**
 * `mirrord-up completion`: the bash script is sourced in a real bash, with COMP_WORDS and
 * COMP_CWORD set as bash sets them when Tab is pressed, and its answer read back. It completes
 * every command and every flag of the CLI's own definitions (so nothing can be left out by
 * hand), and service names read from the file at that moment. zsh and fish scripts are
 * syntax-checked when those shells are installed.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { CommandContext } from "../src/cli/commands/context.js";
import { cliProgram } from "../src/cli/main.js";
import { BIN_ARGS } from "./helpers/paths.js";
import { tempDir } from "./helpers/tmp.js";

/** A directory with `mirrord-up` on PATH (the installed entry point), a default file and another. */
function workspace(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = tempDir();
  const bin = join(dir, "bin");
  mkdirSync(bin);
  writeFileSync(
    join(bin, "mirrord-up"),
    `#!/bin/sh\nexec ${[process.execPath, ...BIN_ARGS].map((w) => JSON.stringify(w)).join(" ")} "$@"\n`,
  );
  chmodSync(join(bin, "mirrord-up"), 0o755);
  writeFileSync(
    join(dir, "mirrord-up.yaml"),
    "services:\n  api:\n    run: {type: local, command: [x]}\n  web:\n    run: {type: local, command: [x]}\n",
  );
  writeFileSync(
    join(dir, "other.yaml"),
    "services:\n  admin:\n    run: {type: local, command: [x]}\n  auth:\n    skip: true\n    run: {type: local, command: [x]}\n",
  );
  return { dir, env: { PATH: `${bin}:${process.env.PATH}`, HOME: dir } };
}

const script = (shell: string, cwd: string) => {
  const r = spawnSync(process.execPath, [...BIN_ARGS, "completion", shell], { cwd, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
};

/**
 * What bash offers for each command line (the last word is the one being completed), from one
 * bash that sourced the script.
 */
function complete(lines: string[][], ws = workspace()): string[][] {
  const file = join(ws.dir, "completion.bash");
  writeFileSync(file, script("bash", ws.dir));
  const cases = lines
    .map((words) => {
      const quoted = words.map((w) => `'${w.replaceAll("'", "'\\''")}'`).join(" ");
      return `COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; COMPREPLY=(); _mirrord_up; printf '%s\\n' "\${COMPREPLY[@]}" | sort -u | tr '\\n' ' '; echo`;
    })
    .join("\n");
  const r = spawnSync("bash", ["-c", `source ${JSON.stringify(file)}\n${cases}`], {
    cwd: ws.dir,
    env: ws.env,
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
  const answers = r.stdout.split("\n").slice(0, lines.length);
  return answers.map((a) => a.trim().split(" ").filter(Boolean));
}

const program = cliProgram({ io: undefined as never, setExitCode() {} } satisfies CommandContext);

describe("completion", { timeout: 120_000 }, () => {
  it("bash completes a command, a flag, a flag's choices and the file's services", () => {
    const [command, flag, choices, services, other, first, run, shells] = complete([
      ["mirrord-up", "lo"],
      ["mirrord-up", "logs", "--fo"],
      ["mirrord-up", "ps", "--format", ""],
      ["mirrord-up", "restart", ""],
      ["mirrord-up", "-f", "other.yaml", "logs", "-f", "a"],
      ["mirrord-up", "w"],
      ["mirrord-up", "run", "api", "--", "w"],
      ["mirrord-up", "completion", ""],
    ]);
    assert.deepEqual(command, ["logs"]);
    assert.deepEqual(flag, ["--follow"]);
    assert.deepEqual(choices, ["json", "table"]);
    assert.deepEqual(services, ["api", "web"]);
    // `-f` before the command names the file; after `logs` it is --follow. Skipped services too.
    assert.deepEqual(other, ["admin", "auth"]);
    // A first word that is no command is a service of `up`.
    assert.deepEqual(first, ["web"]);
    // After `--` comes the one-off's own command: no services, no flags of ours.
    assert.ok(!run?.includes("web"), run?.join(" "));
    assert.deepEqual(shells, ["bash", "fish", "zsh"]);
  });

  it("bash knows every command and every flag the CLI defines", () => {
    const help = program.createHelp();
    const commands = program.commands.map((c) => c.name());
    const flags = program.commands.flatMap((c) =>
      help.visibleOptions(c).flatMap((o) => (o.long ? [[c.name(), o.long] as const] : [])),
    );
    const answers = complete([
      ...commands.map((name) => ["mirrord-up", name]),
      ...flags.map(([name, long]) => ["mirrord-up", name, long]),
      ...help.visibleOptions(program).flatMap((o) => (o.long ? [["mirrord-up", o.long]] : [])),
    ]);
    for (const [i, name] of commands.entries()) assert.ok(answers[i]?.includes(name), `command ${name}`);
    for (const [i, [name, long]] of flags.entries()) {
      const answer = answers[commands.length + i];
      assert.ok(answer?.includes(long), `${name} ${long}: ${answer}`);
    }
    for (const name of ["top", "kill", "run", "completion"]) assert.ok(commands.includes(name));
  });

  it("service names follow the file as it changes", () => {
    const ws = workspace();
    assert.deepEqual(complete([["mirrord-up", "stop", ""]], ws), [["api", "web"]]);
    writeFileSync(
      join(ws.dir, "mirrord-up.yaml"),
      "services:\n  worker:\n    run: {type: local, command: [x]}\n",
    );
    assert.deepEqual(complete([["mirrord-up", "stop", ""]], ws), [["worker"]]);
  });

  it("`config --services` prints every service of the file, one a line, in its order", () => {
    const ws = workspace();
    const r = spawnSync(
      process.execPath,
      [...BIN_ARGS, "config", "--services", "-f", "other.yaml", "-k", "k"],
      {
        cwd: ws.dir,
        encoding: "utf8",
      },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "admin\nauth\n");
  });

  const installed = (shell: string) => spawnSync("sh", ["-c", `command -v ${shell}`]).status === 0;
  for (const shell of ["zsh", "fish"]) {
    it(`the ${shell} script is valid ${shell}`, {
      skip: !installed(shell) && `${shell} is not installed`,
    }, () => {
      const ws = workspace();
      const file = join(ws.dir, `completion.${shell}`);
      writeFileSync(file, script(shell, ws.dir));
      const r = spawnSync(shell, ["-n", file], { encoding: "utf8" });
      assert.equal(r.status, 0, r.stderr);
    });
  }

  it("zsh offers the same, through compadd", { skip: !installed("zsh") && "zsh is not installed" }, () => {
    const ws = workspace();
    const file = join(ws.dir, "completion.zsh");
    writeFileSync(file, script("zsh", ws.dir));
    // compadd filters by the prefix itself; here it prints what it was given.
    const driver = `compdef() {}
compadd() { shift; print -r -- "$@" }
_files() { print FILES }
source ${JSON.stringify(file)}
t() { words=("$@"); CURRENT=$#; _mirrord_up | tr '\\n' ' '; print }
t mirrord-up -f other.yaml logs -f a
t mirrord-up ps --format ''
t mirrord-up run api -- x
`;
    const r = spawnSync("zsh", ["-f", "-c", driver], { cwd: ws.dir, env: ws.env, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      r.stdout
        .trimEnd()
        .split("\n")
        .map((l) => l.trim()),
      ["admin auth", "table json", "FILES"],
    );
  });

  it("fish offers commands, flags with their descriptions, and services", {
    skip: !installed("fish") && "fish is not installed",
  }, () => {
    const ws = workspace();
    const file = join(ws.dir, "completion.fish");
    writeFileSync(file, script("fish", ws.dir));
    const ask = (line: string) => `complete -C${JSON.stringify(line)}; echo ==`;
    const driver = [
      `source ${JSON.stringify(file)}`,
      ask("mirrord-up lo"),
      ask("mirrord-up logs --fo"),
      ask("mirrord-up -f other.yaml logs -f a"),
    ].join("\n");
    const r = spawnSync("fish", ["--no-config", "-c", driver], {
      cwd: ws.dir,
      env: ws.env,
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    const [command, flag, services] = r.stdout.split("==\n");
    assert.match(command ?? "", /^logs\tprint the output of the running up/);
    assert.match(flag ?? "", /^--follow\tkeep printing new output/);
    assert.equal(services, "admin\nauth\n");
  });

  it("an unknown shell is a usage error", () => {
    const r = spawnSync(process.execPath, [...BIN_ARGS, "completion", "tcsh"], { encoding: "utf8" });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /bash, zsh, fish/);
  });
});
