/**
 * The stand-in mirrord (examples/mirrord-stand-in) is honest: under mirrord-up it says that it runs
 * the command locally and intercepts nothing, and gives the command the environment real mirrord
 * would: the local environment kept, the pod's variables (a JSON map) as `include`/`exclude` select
 * them on top, then `env_file`, then `override`, and `unset` removing names whatever their case.
 * Environments are read where the application runs: /proc/<pid>/environ of the program mirrord
 * exec'd. Its failures are checked by calling it as a user would, without mirrord-up.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { tempDir } from "./helpers/tmp.js";
import { FAKE_MIRRORD, nothingLeft, startUp, type UpRun } from "./helpers/up.js";
import { waitUntil } from "./helpers/wait.js";

const START_LINE = "mirrord stand-in: runs the command locally and intercepts nothing";

/** The pod's environment, as the stand-in's fixture map. */
const POD = {
  PATH: "/pod/bin",
  HOME: "/pod/home",
  SHARED: "pod",
  APP_NAME: "pod-app",
  APP_MODE: "pod-mode",
  DB_URL: "pod-db",
  FILE_BEATS_POD: "pod",
  OVERRIDE_BEATS_FILE: "pod",
  DROP_ME: "pod",
};

/** What mirrord-up's own environment holds (and hands to mirrord). */
const LOCAL = { SHARED: "local", LOCAL_ONLY: "local", DB_URL: "local-db", Drop_Me: "local" };

/** The environment a process started with, as the operating system has it. */
function environOf(pid: number): Map<string, string> {
  const entries = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").filter(Boolean);
  return new Map(entries.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

describe("the stand-in mirrord under mirrord-up", { timeout: 120_000 }, () => {
  let run: UpRun;
  /** Each service's application environment, by the `sleep` argument that names it. */
  const envs = new Map<string, Map<string, string>>();

  before(async () => {
    const dir = tempDir();
    const podFile = join(dir, "pod.json");
    writeFileSync(podFile, JSON.stringify(POD));
    run = startUp(
      `services:
  all:
    target: {path: deployment/all}
    run: {command: [sleep, "3601"]}
  included:
    target: {path: deployment/included}
    env: {include: "APP_N*;HOME"}
    run: {command: [sleep, "3602"]}
  excluded:
    target: {path: deployment/excluded}
    env: {exclude: ["DB_*", "SHA?ED"]}
    run: {command: [sleep, "3603"]}
  layered:
    target: {path: deployment/layered}
    env_file: app.env
    env:
      override: {OVERRIDE_BEATS_FILE: override, OVERRIDE_GONE: override}
      unset: [drop_me, OVERRIDE_GONE]
      mapping: {"FILE_.*": mapped}
    run: {command: [sleep, "3604"]}
`,
      {
        env: { ...LOCAL, FAKE_MIRRORD_POD_ENV: podFile },
        files: {
          // biome-ignore lint/suspicious/noTemplateCurlyInString: dotenv syntax, not a template
          "app.env": "FILE_BEATS_POD=file\nOVERRIDE_BEATS_FILE=file\nFROM_FILE=${LOCAL_ONLY}+file\n",
        },
      },
    );
    await run.waitForOutput(/all 4 \w+ ready/);
    for (const record of run.mirrordLog()) {
      const name = record.command[1] as string;
      // The stand-in execs the program in its own process: wait until it has.
      await waitUntil(() => readFileSync(`/proc/${record.pid}/cmdline`, "utf8") === `sleep\0${name}\0`);
      envs.set(name, environOf(record.pid));
    }
  });

  after(async () => {
    run.child.kill("SIGINT");
    await run.exited;
    await nothingLeft(run.marker);
  });

  it("says on one line, shown as the service's own, that it runs the command locally and intercepts nothing; the sessions still get ready", () => {
    const out = run.stdout().toString();
    for (const service of ["all", "included", "excluded", "layered"]) {
      const lines = out.split("\n").filter((l) => l.includes(START_LINE) && l.startsWith(`${service} `));
      assert.equal(lines.length, 1, `${service}: ${out}`);
      assert.match(lines[0] as string, new RegExp(`^${service} +\\| ${START_LINE} \\(`));
    }
  });

  it("without include or exclude: every variable of the pod beats the local one, except those excluded by default", () => {
    const env = envs.get("3601")!;
    assert.equal(env.get("SHARED"), "pod");
    assert.equal(env.get("APP_NAME"), "pod-app");
    assert.equal(env.get("DB_URL"), "pod-db");
    assert.equal(env.get("LOCAL_ONLY"), "local", "the local environment is kept");
    assert.equal(env.get("HOME"), process.env.HOME, "HOME is excluded by default");
    assert.equal(env.get("PATH"), process.env.PATH, "PATH is excluded by default");
    assert.equal(env.get("MIRRORD_PROGRESS_MODE"), "off", "as mirrord sets it for the application");
  });

  it("include selects from the pod's variables only (wildcards; a name excluded by default when named); the local environment stays whole", () => {
    const env = envs.get("3602")!;
    assert.equal(env.get("APP_NAME"), "pod-app");
    assert.equal(env.get("APP_MODE"), undefined, "APP_N* does not select APP_MODE");
    assert.equal(env.get("HOME"), "/pod/home", "include names HOME");
    assert.equal(env.get("SHARED"), "local", "not selected from the pod: the local value stays");
    assert.equal(env.get("DB_URL"), "local-db");
    assert.equal(env.get("LOCAL_ONLY"), "local");
  });

  it("exclude leaves matching pod variables out; the local ones of the same name stay", () => {
    const env = envs.get("3603")!;
    assert.equal(env.get("DB_URL"), "local-db");
    assert.equal(env.get("SHARED"), "local", "SHA?ED matches SHARED");
    assert.equal(env.get("APP_MODE"), "pod-mode");
    assert.equal(env.get("LOCAL_ONLY"), "local");
  });

  it("env_file beats the pod (read as mirrord reads it, $VARS from mirrord's environment), override beats the file, unset removes names in any case", () => {
    const env = envs.get("3604")!;
    assert.equal(env.get("FILE_BEATS_POD"), "file", "feature.env.mapping is not applied");
    assert.equal(env.get("FROM_FILE"), "local+file");
    assert.equal(env.get("OVERRIDE_BEATS_FILE"), "override");
    assert.equal(env.get("DROP_ME"), undefined, "the pod's DROP_ME is unset");
    assert.equal(env.get("Drop_Me"), undefined, "the local Drop_Me is unset");
    assert.equal(env.get("OVERRIDE_GONE"), undefined, "unset beats override");
    assert.equal(env.get("SHARED"), "pod");
  });

  it("says that it does not apply feature.env.mapping, as a mirrord warning", () => {
    assert.match(
      run.stdout().toString(),
      /layered +▸ mirrord warning: the stand-in does not apply feature\.env\.mapping/,
    );
  });
});

describe("the stand-in mirrord on its own", { timeout: 60_000 }, () => {
  /** Runs `mirrord exec -f <config> -- command...` in a fresh directory. */
  function standIn(config: object, command: string[], env: NodeJS.ProcessEnv = {}, files = {}) {
    const dir = tempDir();
    writeFileSync(join(dir, "mirrord.json"), JSON.stringify(config));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text as string);
    return spawnSync(FAKE_MIRRORD, ["exec", "-f", "mirrord.json", "--", ...command], {
      cwd: dir,
      env: { PATH: process.env.PATH, ...env },
      encoding: "utf8",
    });
  }

  it("gives the pod's environment from pod-env.json beside it", () => {
    const pod = JSON.parse(readFileSync(join(FAKE_MIRRORD, "..", "pod-env.json"), "utf8"));
    const r = standIn({}, ["printenv", "DATABASE_URL"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, `${pod.DATABASE_URL}\n`);
    assert.match(r.stderr, new RegExp(`^${START_LINE}`));
  });

  it("fails as mirrord does on include with exclude", () => {
    const r = standIn({ feature: { env: { include: "A", exclude: "B" } } }, ["true"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /cannot use both `include` and `exclude` filters for environment variables/);
  });

  it("fails on an env file it cannot read, naming the line and column, never the value", () => {
    const r = standIn(
      { feature: { env: { env_file: "bad.env" } } },
      ["true"],
      {},
      {
        "bad.env": "OK=1\nTOKEN=s3cret value\n",
      },
    );
    assert.equal(r.status, 1);
    assert.match(r.stderr, /the env file bad\.env:2:\d+: TOKEN: a value with spaces must be quoted/);
    assert.doesNotMatch(r.stderr, /s3cret/);
    const missing = standIn({ feature: { env: { env_file: "missing.env" } } }, ["true"]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /cannot read the env file missing\.env: ENOENT/);
  });

  it("fails on a pod environment that is not a JSON object of strings", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "pod.json"), '{"PORT": 8080}');
    const r = standIn({}, ["true"], { FAKE_MIRRORD_POD_ENV: join(dir, "pod.json") });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /the pod's environment .*pod\.json must be a JSON object of strings/);
  });
});
