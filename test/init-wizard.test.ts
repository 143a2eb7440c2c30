/** `mirrord-up init`, answered through the real prompts. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runInitCommand, SCHEMA_PATH } from "../src/cli/init-command.js";
import type { CliIO } from "../src/cli/io.js";
import { inquirerPrompter } from "../src/cli/prompter.js";
import { loadConfig } from "../src/config/load.js";
import { renderInitYaml } from "../src/init/wizard.js";
import { startFakeKube, writeKubeconfig } from "./helpers/kube-fake.js";
import { BIN } from "./helpers/paths.js";
import { tempDir } from "./helpers/tmp.js";
import { KEY, Typist } from "./helpers/typist.js";

function session(env: NodeJS.ProcessEnv = {}) {
  const dir = tempDir();
  const typist = new Typist();
  const io: CliIO = {
    stdin: typist.input,
    stdout: typist.output,
    stderr: typist.output,
    env: { HOME: dir, ...env },
    cwd: dir,
    username: () => "tester",
  };
  const run = () =>
    runInitCommand("mirrord-up.yaml", io, inquirerPrompter({ input: typist.input, output: typist.output }));
  return { dir, typist, run };
}

const { down, enter } = KEY;

/** Answers the three common questions with their defaults. */
async function commonDefaults(t: Typist) {
  await t.answer("Use the mirrord operator?", enter);
  await t.answer("Accept invalid TLS certificates", enter);
  await t.answer("Enable anonymous telemetry?", enter);
}

describe("mirrord-up init", { timeout: 300_000 }, () => {
  it("writes only non-default values, with the schema comment, and the file loads back", async () => {
    const s = session();
    const done = s.run();
    const t = s.typist;
    await commonDefaults(t);
    await t.answer("Service name:", `api${enter}`);
    await t.answer("How should it run?", enter); // exec
    await t.answer("Mode:", enter); // split
    await t.answer("Target:", down + enter); // Specify a target
    await t.answer("Namespace (blank", `shop${enter}`);
    await t.answer("Target (e.g.", `deploy/api${enter}`);
    await t.answer("HTTP header filter", enter);
    await t.answer("Ports to ignore", down + enter); // Istio
    await t.answer("Add an environment variable override?", `y${enter}`);
    await t.answer("Variable name:", `LOG_LEVEL${enter}`);
    await t.answer("Value:", `debug${enter}`);
    await t.answer("Add an environment variable override?", enter);
    await t.answer("Command (quote", `node "my app.js" --flag${enter}`);
    await t.answer("Add another service?", `y${enter}`);
    await t.answer("Service name:", `api${enter}`); // a duplicate is refused...
    await t.answer('there is already a service "api"', `${KEY.backspace.repeat(3)}db${enter}`);
    await t.answer("How should it run?", down + down + enter); // local
    await t.answer("Add an environment variable override?", enter);
    await t.answer("Command (quote", `redis-server --port 6380${enter}`);
    await t.answer("Add another service?", enter);
    await t.answer("Save configuration to a file?", enter);
    await t.answer("Enter filename:", enter);
    assert.equal(await done, 0);

    const file = join(s.dir, "mirrord-up.yaml");
    const text = readFileSync(file, "utf8");
    assert.ok(text.startsWith(`# yaml-language-server: $schema=${SCHEMA_PATH}\n`), text);
    assert.match(t.text, /Step 3: preview/);
    assert.match(t.text, /Wrote mirrord-up\.yaml\./);
    const loaded = loadConfig({ file, cwd: s.dir, key: "k", env: {} });
    assert.deepEqual(loaded.config, {
      services: {
        api: {
          target: { path: "deploy/api", namespace: "shop" },
          ignore_ports: [9090, 9091, 15090],
          env: { override: { LOG_LEVEL: "debug" } },
          run: { command: ["node", "my app.js", "--flag"] },
        },
        db: { run: { type: "local", command: ["redis-server", "--port", "6380"] } },
      },
    });
    assert.match(text, /ignore_ports: \[ 9090, 9091, 15090 \]/);
    assert.doesNotMatch(text, /common|default_mode|type: exec|null|\{\}/);
  });

  it("never overwrites without confirmation", async () => {
    const s = session();
    writeFileSync(join(s.dir, "mirrord-up.yaml"), "original\n");
    const done = s.run();
    const t = s.typist;
    await commonDefaults(t);
    await t.answer("Service name:", `w${enter}`);
    await t.answer("How should it run?", down + enter); // container
    await t.answer("Mode:", down + enter); // replace
    await t.answer("Target:", enter); // infer
    await t.answer("Namespace (blank", enter);
    await t.answer("Ports to ignore", enter);
    await t.answer("Add an environment variable override?", enter);
    await t.answer("Command (e.g. docker run", `docker run --rm img${enter}`);
    await t.answer("Add another service?", enter);
    await t.answer("Save configuration to a file?", enter);
    await t.answer("Enter filename:", enter);
    await t.answer("mirrord-up.yaml exists. Overwrite?", enter); // default: no
    await t.answer("Enter filename:", `${KEY.backspace.repeat(20)}other.yaml${enter}`);
    assert.equal(await done, 0);
    assert.equal(readFileSync(join(s.dir, "mirrord-up.yaml"), "utf8"), "original\n");
    const loaded = loadConfig({ file: "other.yaml", cwd: s.dir, key: "k", env: {} });
    assert.deepEqual(loaded.config.services.w, {
      default_mode: "replace",
      run: { type: "container", command: ["docker", "run", "--rm", "img"] },
    });
  });

  it("choosing not to save writes nothing", async () => {
    const s = session();
    const done = s.run();
    const t = s.typist;
    await commonDefaults(t);
    await t.answer("Service name:", `a${enter}`);
    await t.answer("How should it run?", down + down + enter);
    await t.answer("Add an environment variable override?", enter);
    await t.answer("Command (quote", `sleep 1${enter}`);
    await t.answer("Add another service?", enter);
    await t.answer("Save configuration to a file?", `n${enter}`);
    assert.equal(await done, 0);
    assert.match(t.text, /No file written\./);
    assert.equal(existsSync(join(s.dir, "mirrord-up.yaml")), false);
  });

  it("Ctrl-C exits cleanly with nothing written", async () => {
    const s = session();
    const done = s.run();
    await commonDefaults(s.typist);
    await s.typist.answer("Service name:", `half${KEY.ctrlC}`);
    assert.equal(await done, 0);
    assert.match(s.typist.text, /init cancelled; nothing was written\./);
    assert.equal(existsSync(join(s.dir, "mirrord-up.yaml")), false);
  });

  it("with a reachable cluster, namespaces and targets are picked from it", async () => {
    const kube = await startFakeKube({
      namespaces: { default: {}, shop: { deployments: ["api"], statefulsets: ["db"] } },
    });
    const dir = tempDir();
    const kubeconfig = writeKubeconfig(join(dir, "kc"), {
      clusters: [{ name: "c", server: kube.url, insecure: true }],
      contexts: [{ name: "staging", cluster: "c" }],
      current: "staging",
    });
    const s = session({ KUBECONFIG: kubeconfig });
    const done = s.run();
    const t = s.typist;
    await t.answer('Using the cluster of context "staging"', "");
    await commonDefaults(t);
    await t.answer("Service name:", `db${enter}`);
    await t.answer("How should it run?", enter);
    await t.answer("Mode:", enter);
    await t.answer("Target:", down + enter); // Pick from the cluster
    await t.answer("Namespace:", down + down + enter); // (default), default, shop
    await t.answer("Target:", down + enter); // deployment/api, statefulset/db
    await t.answer("HTTP header filter", `^x-user: (?P<u>me)$${enter}`);
    await t.answer("Ports to ignore", enter);
    await t.answer("Add an environment variable override?", enter);
    await t.answer("Command (quote", `python -m db${enter}`);
    await t.answer("Add another service?", enter);
    await t.answer("Save configuration to a file?", enter);
    await t.answer("Enter filename:", enter);
    assert.equal(await done, 0);
    const loaded = loadConfig({ file: "mirrord-up.yaml", cwd: s.dir, key: "k", env: {} });
    assert.deepEqual(loaded.config.services.db?.target, { path: "statefulset/db", namespace: "shop" });
    assert.deepEqual(loaded.config.services.db?.http_filter, { header_filter: "^x-user: (?P<u>me)$" });
  });

  it("without a terminal it explains that it is interactive and exits non-zero", async () => {
    const dir = tempDir();
    const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(process.execPath, [BIN, "init"], { cwd: dir }, (e, _o, stderr) =>
        resolve({ code: Number((e as { code?: number } | null)?.code ?? 0), stderr }),
      ),
    );
    assert.equal(r.code, 2);
    assert.match(r.stderr, /`mirrord-up init` asks questions, so it needs a terminal/);
    assert.equal(existsSync(join(dir, "mirrord-up.yaml")), false);
  });
});

describe("init's YAML round-trips through the loader", () => {
  const cases = {
    omits_common_when_all_default: { services: { a: { run: { command: ["x"] } } } },
    keeps_non_default_common: {
      common: { operator: false, telemetry: false },
      services: { a: { run: { command: ["x"] } } },
    },
    none_target_and_replace: {
      services: {
        a: { target: "none", run: { command: ["x"] } },
        b: {
          default_mode: "replace",
          target: { path: "deployment/b" },
          run: { type: "container", command: ["docker", "run", "b"] },
        },
      },
    },
    namespace_only_target: {
      services: { a: { target: { namespace: "ns" }, run: { command: ["x", "y z"] } } },
    },
  };
  for (const [name, config] of Object.entries(cases)) {
    it(name, () => {
      const dir = tempDir();
      writeFileSync(join(dir, "f.yaml"), renderInitYaml(config as never, SCHEMA_PATH));
      assert.deepEqual(loadConfig({ file: "f.yaml", cwd: dir, key: "k", env: {} }).config, config);
    });
  }
  it("scalar lists render inline", () => {
    assert.match(
      renderInitYaml({ services: { a: { ignore_ports: [1, 2], run: { command: ["x"] } } } }, "s"),
      /ignore_ports: \[ 1, 2 \]\n.*command: \[ x \]/s,
    );
  });
});
