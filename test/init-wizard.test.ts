/**
 * `mirrord-up init`, answered through the real prompts, and its flow through a scripted
 * `Prompter` (which questions are asked, in which order, and what is written where).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, it } from "node:test";
import { runInitCommand, SCHEMA_PATH } from "../src/cli/init-command.js";
import type { CliIO } from "../src/cli/io.js";
import { inquirerPrompter } from "../src/cli/prompter.js";
import { loadConfig } from "../src/config/load.js";
import type { Choice, Prompter } from "../src/core/prompter.js";
import {
  type InitOptions,
  installedSchemaReference,
  renderInitYaml,
  runInitWizard,
  SCHEMA_COPY_NAME,
} from "../src/init/wizard.js";
import { startFakeKube, writeKubeconfig } from "./helpers/kube-fake.js";
import { BIN_ARGS } from "./helpers/paths.js";
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

/** Answers a service's lifecycle questions (ready_when, restart) with their defaults. */
async function lifecycleDefaults(t: Typist) {
  await t.answer("When is it ready?", enter);
  await t.answer("Restart it when it ends?", enter);
}

/** `mirrord-up validate -f FILE` (the built CLI): exit code and what it printed. */
function validate(dir: string, file: string): Promise<{ code: number; out: string }> {
  return new Promise((done) =>
    execFile(process.execPath, [...BIN_ARGS, "validate", "-f", file], { cwd: dir }, (e, stdout, stderr) =>
      done({ code: Number((e as { code?: number } | null)?.code ?? 0), out: stdout + stderr }),
    ),
  );
}

describe("mirrord-up init", { timeout: 300_000 }, () => {
  it("writes only non-default values, lifecycles included, with a schema beside it; the file validates", async () => {
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
    await t.answer("When is it ready?", down + down + enter); // an HTTP URL
    await t.answer("URL (e.g.", `localhost:8080${enter}`); // not a URL: refused...
    await t.answer(
      "http is a URL such as",
      `${KEY.backspace.repeat(14)}http://127.0.0.1:8080/health${enter}`,
    );
    await t.answer("Restart it when it ends?", down + enter); // on-failure
    await t.answer("Add another service?", `y${enter}`);
    await t.answer("Service name:", `api${enter}`); // a duplicate is refused...
    await t.answer('there is already a service "api"', `${KEY.backspace.repeat(3)}db${enter}`);
    await t.answer("How should it run?", down + down + enter); // local
    await t.answer("Add an environment variable override?", enter);
    await t.answer("Command (quote", `sleep 600${enter}`);
    await t.answer("When is it ready?", down + enter); // a port
    await t.answer("Port (on 127.0.0.1):", `6380${enter}`);
    await t.answer("Restart it when it ends?", enter); // no
    await t.answer("Add another service?", enter);
    await t.answer("Step 3: dependencies", "");
    await t.answer("Does api wait for another service?", down + enter); // db
    await t.answer("Start api once db", enter); // db has ready_when: service_ready first
    // db is not offered api: that would be a cycle, so db is not asked at all.
    await t.answer("Step 4: preview", "");
    await t.answer("Save configuration to a file?", enter);
    await t.answer("Enter filename:", enter);
    assert.equal(await done, 0);
    assert.doesNotMatch(t.text, /Does db wait/);

    const file = join(s.dir, "mirrord-up.yaml");
    const text = readFileSync(file, "utf8");
    assert.ok(text.startsWith(`# yaml-language-server: $schema=./${SCHEMA_COPY_NAME}\n`), text);
    assert.equal(readFileSync(join(s.dir, SCHEMA_COPY_NAME), "utf8"), readFileSync(SCHEMA_PATH, "utf8"));
    assert.match(t.text, /Wrote mirrord-up\.schema\.json \(for editors/);
    assert.match(t.text, /Wrote mirrord-up\.yaml\./);
    const loaded = loadConfig({ file, cwd: s.dir, key: "k", env: {} });
    assert.deepEqual(loaded.config, {
      services: {
        api: {
          target: { path: "deploy/api", namespace: "shop" },
          ignore_ports: [9090, 9091, 15090],
          env: { override: { LOG_LEVEL: "debug" } },
          run: { command: ["node", "my app.js", "--flag"] },
          ready_when: { http: "http://127.0.0.1:8080/health" },
          restart: { kind: "on-failure" },
          depends_on: { db: { condition: "service_ready" } },
        },
        db: { run: { type: "local", command: ["sleep", "600"] }, ready_when: { port: 6380 } },
      },
    });
    assert.match(text, /ignore_ports: \[ 9090, 9091, 15090 \]/);
    assert.match(text, /depends_on:\n {6}db: \{ condition: service_ready \}/);
    assert.doesNotMatch(text, /common|default_mode|type: exec|null|\{\}|restart: no/);
    const checked = await validate(s.dir, "mirrord-up.yaml");
    assert.equal(checked.code, 0, checked.out);
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
    await lifecycleDefaults(t);
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
    await lifecycleDefaults(t);
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
    await lifecycleDefaults(t);
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
      execFile(process.execPath, [...BIN_ARGS, "init"], { cwd: dir }, (e, _o, stderr) =>
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

/**
 * A `Prompter` that plays a script: each question must be the next one expected (its message
 * starting with the given text), and gets the scripted answer. Every question asked is kept.
 */
function scripted(script: [question: string, answer: unknown][]) {
  const asked: string[] = [];
  const next = (message: string): unknown => {
    asked.push(message);
    const step = script.shift();
    assert.ok(step, `an unexpected question: ${message}`);
    assert.ok(message.startsWith(step[0]), `expected "${step[0]}", was asked "${message}"`);
    return step[1];
  };
  const prompter: Prompter = {
    async select<T>(message: string, choices: Choice<T>[], defaultValue?: T) {
      const answer = next(message);
      // `undefined`: the default (the first choice when there is none), as Enter picks it.
      const value = answer === undefined ? (defaultValue ?? choices[0]?.value) : answer;
      assert.ok(
        choices.some((c) => c.value === value),
        `${String(value)} is offered for "${message}"`,
      );
      return value as T;
    },
    async confirm(message: string, defaultValue: boolean) {
      const answer = next(message);
      return answer === undefined ? defaultValue : (answer as boolean);
    },
    async input(
      message: string,
      options: { default?: string; validate?: (v: string) => string | true } = {},
    ) {
      const answer = (next(message) as string | undefined) ?? options.default ?? "";
      const verdict = options.validate?.(answer) ?? true;
      assert.equal(verdict, true, `"${answer}" refused for "${message}"`);
      return answer;
    },
  };
  return { prompter, asked, left: script };
}

/** The wizard over an in-memory directory `cwd` holding `files`. */
function wizard(prompter: Prompter, options: Partial<InitOptions> & { files?: Map<string, string> } = {}) {
  const files = options.files ?? new Map<string, string>();
  const cwd = options.cwd ?? "/home/me/shop";
  const said: string[] = [];
  const full = (path: string) => resolve(cwd, path);
  const run = runInitWizard({
    prompter,
    cwd,
    defaultOutput: "mirrord-up.yaml",
    schemaPath: "/usr/lib/node_modules/mirrord-up/schema/mirrord-up.schema.json",
    schemaText: () => '{"title": "this version"}\n',
    say: (text) => said.push(text),
    exists: (path) => files.has(full(path)),
    read: (path) => files.get(full(path)),
    write: (path, text) => void files.set(full(path), text),
    ...options,
  });
  return { run, files, said };
}

/** One local service `a` with every question answered by default, then saved as `file`. */
const oneService = (file?: string): [string, unknown][] => [
  ["Service name:", "a"],
  ["How should it run?", "local"],
  ["Add an environment variable override?", false],
  ["Command", "sleep 600"],
  ["When is it ready?", undefined],
  ["Restart it when it ends?", undefined],
  ["Add another service?", false],
  ["Save configuration to a file?", true],
  ["Enter filename:", file],
];

describe("init's questions", () => {
  it("asks about the operator's TLS certificates only when the operator is used", async () => {
    const without = scripted([
      ["Use the mirrord operator?", false],
      ["Enable anonymous telemetry?", undefined],
      ...oneService(),
    ]);
    const w = wizard(without.prompter);
    assert.equal(await w.run, "mirrord-up.yaml");
    assert.deepEqual(without.left, []);
    assert.ok(!without.asked.some((q) => /TLS|certificate/.test(q)), without.asked.join("\n"));
    assert.match(w.files.get("/home/me/shop/mirrord-up.yaml") ?? "", /common:\n {2}operator: false\n/);

    const withIt = scripted([
      ["Use the mirrord operator?", true],
      ["Accept invalid TLS certificates for the operator?", true],
      ["Enable anonymous telemetry?", undefined],
      ...oneService(),
    ]);
    const w2 = wizard(withIt.prompter);
    await w2.run;
    assert.match(w2.files.get("/home/me/shop/mirrord-up.yaml") ?? "", /accept_invalid_certificates: true/);
  });

  it("takes custom ports to ignore 0-65535 (0: listeners on a port the system picks), as the file does", async () => {
    const refused: string[] = [];
    const s = scripted([
      ["Use the mirrord operator?", undefined],
      ["Accept invalid TLS certificates", undefined],
      ["Enable anonymous telemetry?", undefined],
      ["Service name:", "api"],
      ["How should it run?", "exec"],
      ["Mode:", "split"],
      ["Target:", undefined],
      ["Namespace (blank", "shop"],
      ["HTTP header filter", undefined],
      ["Ports to ignore", "custom"],
      ["Ports (comma-separated):", "8080, 0, 8080"],
      ["Add an environment variable override?", false],
      ["Command", "node app.js"],
      ["When is it ready?", undefined],
      ["Restart it when it ends?", undefined],
      ["Add another service?", false],
      ["Save configuration to a file?", true],
      ["Enter filename:", undefined],
    ]);
    const prompter: Prompter = {
      ...s.prompter,
      input: (message, options = {}) => {
        if (message.startsWith("Ports (")) {
          for (const bad of ["65536", "-1", "80,x"]) {
            const verdict = options.validate?.(bad);
            if (verdict !== true && verdict !== undefined) refused.push(`${bad}: ${verdict}`);
          }
        }
        return s.prompter.input(message, options);
      },
    };
    const w = wizard(prompter);
    await w.run;
    assert.deepEqual(s.left, []);
    assert.deepEqual(refused, [
      "65536: ports are whole numbers 0-65535, separated by commas",
      "-1: ports are whole numbers 0-65535, separated by commas",
      "80,x: ports are whole numbers 0-65535, separated by commas",
    ]);
    assert.match(w.files.get("/home/me/shop/mirrord-up.yaml") ?? "", /ignore_ports: \[ 0, 8080 \]/);
  });

  it("offers each service's dependencies in any order, never one that makes a cycle", async () => {
    const s = scripted([
      ["Use the mirrord operator?", undefined],
      ["Accept invalid TLS certificates", undefined],
      ["Enable anonymous telemetry?", undefined],
      ["Service name:", "web"],
      ["How should it run?", "local"],
      ["Add an environment variable override?", false],
      ["Command", "npm run dev"],
      ["When is it ready?", "log"],
      ["Regex a line must match", "ready in \\d+ms"],
      ["Restart it when it ends?", "always"],
      ["Add another service?", true],
      ["Service name:", "api"],
      ["How should it run?", "local"],
      ["Add an environment variable override?", false],
      ["Command", "node api.js"],
      ["When is it ready?", "command"],
      ["Command (e.g. pg_isready", "curl -fsS 'http://127.0.0.1:8080/health'"],
      ["Restart it when it ends?", undefined],
      ["Add another service?", true],
      ["Service name:", "migrate"],
      ["How should it run?", "local"],
      ["Add an environment variable override?", false],
      ["Command", "node migrate.js"],
      ["When is it ready?", undefined],
      ["Restart it when it ends?", undefined],
      ["Add another service?", false],
      // web, written first, waits for api (ready by default: api has ready_when) and migrate.
      ["Does web wait for another service?", "api"],
      ["Start web once api", undefined],
      ["Does web wait for one more?", "migrate"],
      ["Start web once migrate", "service_completed_successfully"],
      // api: web is not offered (web waits for api); migrate, started (the default) is.
      ["Does api wait for another service?", "migrate"],
      ["Start api once migrate", undefined],
      // migrate: both wait for it, so nothing is left to offer and nothing is asked.
      ["Save configuration to a file?", true],
      ["Enter filename:", undefined],
    ]);
    const offered: string[][] = [];
    const prompter: Prompter = {
      ...s.prompter,
      select: (message, choices, defaultValue) => {
        if (message.startsWith("Does ")) offered.push(choices.map((c) => String(c.value)));
        return s.prompter.select(message, choices, defaultValue);
      },
    };
    const w = wizard(prompter);
    await w.run;
    assert.deepEqual(s.left, []);
    assert.deepEqual(offered, [
      ["", "api", "migrate"],
      ["", "migrate"],
      ["", "migrate"],
    ]);
    const text = w.files.get("/home/me/shop/mirrord-up.yaml") ?? "";
    const dir = tempDir();
    writeFileSync(join(dir, "mirrord-up.yaml"), text);
    const loaded = loadConfig({ file: "mirrord-up.yaml", cwd: dir, key: "k", env: {} }).config.services;
    assert.deepEqual(loaded.web?.depends_on, {
      api: { condition: "service_ready" },
      migrate: { condition: "service_completed_successfully" },
    });
    assert.deepEqual(loaded.api?.depends_on, ["migrate"]);
    assert.equal(loaded.migrate?.depends_on, undefined);
    assert.deepEqual(loaded.web?.ready_when, { log: "ready in \\d+ms" });
    assert.deepEqual(loaded.api?.ready_when, { command: ["curl", "-fsS", "http://127.0.0.1:8080/health"] });
    assert.match(text, /restart: always/);
    assert.match(text, /depends_on: \[ migrate \]/);
  });

  it("checks each readiness answer as the file's schema does", async () => {
    const refused: string[] = [];
    const s = scripted([
      ["Use the mirrord operator?", undefined],
      ["Accept invalid TLS certificates", undefined],
      ["Enable anonymous telemetry?", undefined],
      ["Service name:", "a"],
      ["How should it run?", "local"],
      ["Add an environment variable override?", false],
      ["Command", "sleep 600"],
      ["When is it ready?", "port"],
      ["Port", "8080"],
      ["Restart it when it ends?", undefined],
      ["Add another service?", false],
      ["Save configuration to a file?", false],
    ]);
    const prompter: Prompter = {
      ...s.prompter,
      input: (message, options = {}) => {
        if (message.startsWith("Port")) {
          for (const bad of ["0", "70000", "http", "80.5"]) {
            const verdict = options.validate?.(bad);
            if (verdict !== true && verdict !== undefined) refused.push(`${bad}: ${verdict}`);
          }
        }
        return s.prompter.input(message, options);
      },
    };
    await wizard(prompter).run;
    assert.deepEqual(refused, [
      "0: ports are 1-65535",
      "70000: ports are 1-65535",
      "http: expected a port number",
      "80.5: expected a port number",
    ]);
  });
});

describe("init's schema comment", () => {
  const commonAnswers: [string, unknown][] = [
    ["Use the mirrord operator?", undefined],
    ["Accept invalid TLS certificates", undefined],
    ["Enable anonymous telemetry?", undefined],
  ];
  const firstLine = (text: string | undefined) => text?.split("\n")[0];

  it("installed elsewhere (globally): a copy of the schema beside the file, referred to as ./", async () => {
    const s = scripted([...commonAnswers, ...oneService("config/mirrord-up.yaml")]);
    const w = wizard(s.prompter);
    await w.run;
    assert.equal(
      firstLine(w.files.get("/home/me/shop/config/mirrord-up.yaml")),
      `# yaml-language-server: $schema=./${SCHEMA_COPY_NAME}`,
    );
    assert.equal(w.files.get(`/home/me/shop/config/${SCHEMA_COPY_NAME}`), '{"title": "this version"}\n');
    assert.ok(![...w.files.values()].some((text) => text.includes("/usr/lib/node_modules")));
  });

  it("installed in the project: the installed schema, relative to the file", async () => {
    const schemaPath = "/home/me/shop/node_modules/mirrord-up/schema/mirrord-up.schema.json";
    for (const [file, reference] of [
      ["mirrord-up.yaml", "./node_modules/mirrord-up/schema/mirrord-up.schema.json"],
      ["deploy/dev/up.yaml", "../../node_modules/mirrord-up/schema/mirrord-up.schema.json"],
    ] as const) {
      const s = scripted([...commonAnswers, ...oneService(file)]);
      const w = wizard(s.prompter, { schemaPath });
      await w.run;
      const written = resolve("/home/me/shop", file);
      assert.equal(firstLine(w.files.get(written)), `# yaml-language-server: $schema=${reference}`);
      assert.equal(resolve(dirname(written), reference), schemaPath, "the reference reaches the schema");
      assert.deepEqual([...w.files.keys()], [written], "no copy");
    }
  });

  it("a different schema already beside the file is replaced only on a yes", async () => {
    const copy = `/home/me/shop/${SCHEMA_COPY_NAME}`;
    for (const overwrite of [false, true]) {
      const files = new Map([[copy, '{"title": "an older version"}\n']]);
      const s = scripted([
        ...commonAnswers,
        ...oneService(),
        [`${SCHEMA_COPY_NAME} exists and differs from this version's schema. Overwrite?`, overwrite],
      ]);
      const w = wizard(s.prompter, { files });
      await w.run;
      assert.deepEqual(s.left, []);
      assert.equal(
        files.get(copy),
        overwrite ? '{"title": "this version"}\n' : '{"title": "an older version"}\n',
      );
      assert.equal(
        firstLine(files.get("/home/me/shop/mirrord-up.yaml")),
        `# yaml-language-server: $schema=./${SCHEMA_COPY_NAME}`,
      );
    }
    // The same schema there already: nothing asked, nothing rewritten.
    const files = new Map([[copy, '{"title": "this version"}\n']]);
    const s = scripted([...commonAnswers, ...oneService()]);
    await wizard(s.prompter, { files }).run;
    assert.deepEqual(s.left, []);
  });

  it("the reference is relative only inside the project that installed the package", () => {
    const schema = "/p/node_modules/mirrord-up/schema/mirrord-up.schema.json";
    assert.equal(
      installedSchemaReference("/p/a.yaml", schema),
      "./node_modules/mirrord-up/schema/mirrord-up.schema.json",
    );
    assert.equal(installedSchemaReference("/other/a.yaml", schema), undefined);
    assert.equal(installedSchemaReference("/pp/a.yaml", schema), undefined);
    assert.equal(
      installedSchemaReference("/p/a.yaml", "/p/schema/mirrord-up.schema.json"),
      undefined,
      "a checkout",
    );
  });
});
