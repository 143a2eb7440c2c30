/** The installed command, spawned for real: flags, commands, exit codes, files it writes. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { renderMirrordJson } from "../src/plan/mirrord-json.js";
import { BIN_ARGS, REPO_ROOT } from "./helpers/paths.js";
import { withConfig } from "./helpers/tmp.js";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...BIN_ARGS, ...args],
      { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env } },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/** A directory of executables named `names` (each does nothing), for PATH. */
function programs(dir: string, names: string[]): string {
  const bin = join(dir, "bin");
  mkdirSync(bin, { recursive: true });
  for (const name of names) writeFileSync(join(bin, name), "#!/bin/sh\n", { mode: 0o755 });
  return bin;
}

const CONFIG = `# yaml-language-server: $schema=../schema/mirrord-up.schema.json
common: {operator: true}
services:
  api:
    target: {path: deployment/api, namespace: shop}
    env: {override: {TOKEN: "t-{{ key }}"}}
    run: {command: [node, server.js]}
  web:
    run: {type: local, command: [npm, run, dev]}
  batch:
    skip: true
    target: none
    run: {type: container, command: [docker, run, batch]}
`;

describe("mirrord-up CLI", () => {
  it("--help lists the commands and flags", async () => {
    const r = await cli(["--help"], REPO_ROOT);
    assert.equal(r.code, 0);
    for (const word of ["up", "config", "validate", "schema"])
      assert.match(r.stdout, new RegExp(`\\b${word}\\b`));
    const up = await cli(["up", "--help"], REPO_ROOT);
    for (const flag of ["--config-file", "--key", "--mode", "--context"])
      assert.match(up.stdout, new RegExp(flag));
  });

  it("config --format json prints {key, services: {name: {type, command, config}}}", async () => {
    const r = await cli(["config", "--format", "json", "--key", "alice"], withConfig(CONFIG));
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.key, "alice");
    assert.deepEqual(Object.keys(doc.services), ["api", "web"]);
    assert.equal(doc.services.api.type, "exec");
    assert.deepEqual(doc.services.api.command, ["node", "server.js"]);
    assert.equal(doc.services.api.config.feature.env.override.TOKEN, "t-alice");
    assert.deepEqual(doc.services.web, { type: "local", command: ["npm", "run", "dev"] });
  });

  it("config prints YAML by default, and named services override skip", async () => {
    const r = await cli(["config", "batch", "--key", "k"], withConfig(CONFIG));
    assert.equal(r.code, 0, r.stderr);
    const doc = parse(r.stdout);
    assert.deepEqual(Object.keys(doc.services), ["batch"]);
    assert.equal(doc.services.batch.type, "container");
    assert.deepEqual(doc.services.batch.config.target, {});
  });

  it("config --no-resolve shows a target still to be inferred as such", async () => {
    const r = await cli(
      ["config", "--format", "json", "--no-resolve"],
      withConfig(`services: {api: {run: {command: [x]}}}`),
      {
        MIRRORD_KEY: "k",
      },
    );
    assert.equal(JSON.parse(r.stdout).services.api.infer_target, true);
  });

  it("config --output-dir writes <name>.json, byte for byte what up hands to mirrord, private", async () => {
    const dir = withConfig(CONFIG);
    const r = await cli(["config", "--output-dir", "out", "--key", "alice"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(join(dir, "out")), ["api.json"]);
    const written = readFileSync(join(dir, "out", "api.json"), "utf8");
    const json = JSON.parse((await cli(["config", "--format", "json", "--key", "alice"], dir)).stdout);
    assert.equal(written, renderMirrordJson(json.services.api.config));
    assert.equal(statSync(join(dir, "out", "api.json")).mode & 0o777, 0o600);
  });

  it("MIRRORD_KEY is honoured (upstream's help promises it, its code ignores it)", async () => {
    const r = await cli(["config", "--format", "json"], withConfig(CONFIG), { MIRRORD_KEY: "from-env" });
    assert.equal(JSON.parse(r.stdout).key, "from-env");
  });

  it("-m overrides default_mode; an unknown mode is a usage error", async () => {
    const dir = withConfig(CONFIG);
    const r = await cli(["config", "--format", "json", "-m", "replace", "-k", "k"], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout).services.api.config.feature.copy_target, {
      enabled: true,
      scale_down: true,
    });
    const bad = await cli(["config", "-m", "mirror"], dir);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /Allowed choices are split, replace/);
  });

  it("validate prints a summary, and that it does not ask the cluster", async () => {
    const dir = withConfig(CONFIG);
    const bin = programs(dir, ["node", "npm", "mirrord"]);
    const r = await cli(["validate", "-k", "k"], dir, { PATH: bin });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, "");
    assert.equal(
      r.stdout,
      'mirrord-up.yaml: ok, 2 services to run (api, web), 1 skipped (batch), key "k"\n' +
        "not checked: the cluster (kube contexts, namespaces, targets); `mirrord-up doctor` checks it, `mirrord-up` asks it when it starts\n",
    );
  });

  it("validate runs up's local checks: a program or mirrord not found here is a located warning", async () => {
    const dir = withConfig(CONFIG);
    const bin = programs(dir, ["node"]);
    const r = await cli(["validate", "-k", "k"], dir, { PATH: bin });
    assert.equal(r.code, 0, r.stderr);
    // The same messages `up` refuses to start with.
    assert.match(r.stderr, /^warning: mirrord was not found \(no `mirrord` on PATH\)$/m);
    assert.match(
      r.stderr,
      /^mirrord-up\.yaml:9:34: warning: services\.web\.run\.command: program "npm" was not found on PATH$/m,
    );
    assert.doesNotMatch(r.stderr, /"node"/);
    assert.match(r.stdout, /^mirrord-up\.yaml: valid, .*; up would not start here: 2 programs not found$/m);
    const named = await cli(["validate", "-k", "k", "--mirrord-bin", join(bin, "node")], dir, { PATH: bin });
    assert.doesNotMatch(named.stderr, /mirrord was not found/);
    assert.match(named.stdout, /up would not start here: 1 program not found$/m);
    const up = await cli(["up", "-k", "k"], dir, { PATH: bin, MIRRORD_BIN: "/bin/true" });
    assert.equal(up.code, 2);
    assert.match(
      up.stderr,
      /mirrord-up\.yaml:9:34: error: services\.web\.run\.command: program "npm" was not found/,
    );
  });

  it("validate reports a missing working directory or env file as up does, exit 2", async () => {
    const dir = withConfig(
      "services:\n  a:\n    run: {type: local, command: [/bin/sh], working_dir: ./gone}\n    env_file: nope.env\n",
    );
    const r = await cli(["validate", "-k", "k"], dir);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /mirrord-up\.yaml:3:\d+: error: .*the working directory does not exist/);
    assert.match(r.stderr, /mirrord-up\.yaml:4:\d+: error: .*the env file does not exist/);
  });

  it("a missing file names the path tried and suggests init and -f", async () => {
    const dir = withConfig("", "other.yaml");
    const r = await cli(["validate", "-k", "k"], dir);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      new RegExp(
        `mirrord-up\\.yaml: error: config file not found \\(looked for ${join(dir, "mirrord-up.yaml")}\\)`,
      ),
    );
    assert.match(r.stderr, /mirrord-up init/);
    assert.match(r.stderr, /-f <file>/);
    const custom = await cli(["validate", "-f", "nope.yaml", "-k", "k"], dir);
    assert.match(custom.stderr, /^nope\.yaml: error: config file not found/);
  });

  it("an unknown flag is a usage error with a suggestion, said as our errors are", async () => {
    const r = await cli(["config", "--formt", "json"], REPO_ROOT);
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      "error: unknown option '--formt' for `mirrord-up config`\n  hint: did you mean --format?\n",
    );
    const far = await cli(["config", "--zzz"], REPO_ROOT);
    assert.equal(far.code, 2);
    assert.equal(
      far.stderr,
      "error: unknown option '--zzz' for `mirrord-up config`\n  hint: see `mirrord-up config --help`\n",
    );
  });

  it("a flag that takes no value, given one, is said so: exit 2, no stack trace", async () => {
    for (const flag of ["-f=false", "--follow=false"]) {
      const r = await cli(["logs", flag], REPO_ROOT);
      assert.equal(r.code, 2, flag);
      assert.equal(
        r.stderr,
        `error: option '-f, --follow' takes no value (got '${flag}')\n` +
          `  hint: write ${flag.split("=")[0]} alone to turn it on; leave it out for off\n`,
      );
    }
  });

  it("Commander's other usage errors use the same error: / hint: form", async () => {
    const invalid = await cli(["logs", "-n", "many"], REPO_ROOT);
    assert.equal(invalid.code, 2);
    assert.equal(
      invalid.stderr,
      `error: option '-n, --tail <lines>' argument 'many' is invalid: expected a number of lines, or "all"\n` +
        "  hint: see `mirrord-up logs --help`\n",
    );
    const missing = await cli(["logs", "-n"], REPO_ROOT);
    assert.equal(missing.code, 2);
    assert.match(
      missing.stderr,
      /^error: option '.*' argument missing\n {2}hint: see `mirrord-up logs --help`\n$/,
    );
  });

  it("a service field indented as a service is said at file:line:col with a hint", async () => {
    const dir = withConfig("services:\n  api:\n    target: none\n  run:\n    command: [node, app.js]\n");
    const r = await cli(["validate", "-k", "k"], dir);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^mirrord-up\.yaml:4:3: error: services\.run: `run:` is at the level of the services, so it reads as a service named "run"\n/,
    );
    assert.match(
      r.stderr,
      /hint: `run` looks like a service field: indented too little\? Indent it under `api`/,
    );
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  });

  it("an unknown service is a usage error listing the available ones", async () => {
    const r = await cli(["config", "apii", "-k", "k"], withConfig(CONFIG));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown service "apii"/);
    assert.match(r.stderr, /did you mean "api"\? available services: api, batch, web/);
  });

  it("an invalid key is a usage error suggesting --key", async () => {
    const r = await cli(["validate", "--key", "a b"], withConfig(CONFIG));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--key/);
  });

  it("schema prints the committed schema/mirrord-up.schema.json (draft-07) exactly", async () => {
    const r = await cli(["schema"], REPO_ROOT);
    assert.equal(r.code, 0);
    assert.equal(r.stdout, readFileSync(join(REPO_ROOT, "schema", "mirrord-up.schema.json"), "utf8"));
    const schema = JSON.parse(r.stdout);
    assert.equal(schema.$schema, "http://json-schema.org/draft-07/schema#");
  });

  it("the published schema accepts a valid file and rejects a misspelt key (as an editor would)", () => {
    const schema = JSON.parse(readFileSync(join(REPO_ROOT, "schema", "mirrord-up.schema.json"), "utf8"));
    const validate = new Ajv({ strict: false }).compile(schema);
    assert.equal(validate(parse(CONFIG)), true, JSON.stringify(validate.errors));
    assert.equal(validate(parse(`services: {a: {run: {comand: [x]}}}`)), false);
  });

  it("the examples in the repository validate", async () => {
    const files = readdirSync(join(REPO_ROOT, "examples"), { recursive: true, encoding: "utf8" }).filter(
      (f) => f.endsWith(".yaml"),
    );
    assert.ok(files.length >= 2, files.join(", "));
    for (const file of files) {
      const r = await cli(["validate", "-f", join("examples", file), "-k", "k"], REPO_ROOT);
      assert.equal(r.code, 0, `${file}: ${r.stderr}`);
    }
  });

  it("writes nothing to the config file's directory when it only reads", async () => {
    const dir = withConfig(CONFIG);
    writeFileSync(join(dir, "marker"), "");
    await cli(["config", "-k", "k"], dir);
    assert.deepEqual(readdirSync(dir).sort(), ["marker", "mirrord-up.yaml"]);
  });
});
