/**
 * What each command loads. The Kubernetes client is ~450 ms to load: only commands that talk to
 * a cluster may load it. The config reader and runner (dist/mirrord-up-heavy.cjs: YAML, zod, the
 * template engine) is ~1.5 MB: the control commands, which only talk to a running `up`, do not
 * load it. `up` does not load `node:crypto` (~2 MiB for the whole run) unless a feature needs it,
 * nor `node:http` before a client connects, nor Node's file streams for a stdin it never reads.
 */
import assert from "node:assert/strict";
import { execFile, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { startFakeKube, writeKubeconfig } from "./helpers/kube-fake.js";
import { BIN, BIN_FLAGS, REPO_ROOT } from "./helpers/paths.js";
import { tempDir, withConfig } from "./helpers/tmp.js";

async function loadedModules(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const trace = join(tempDir(), "imports.txt");
  await new Promise<void>((resolve) =>
    execFile(
      process.execPath,
      [...BIN_FLAGS, "--import", join(REPO_ROOT, "test", "fixtures", "trace-imports.mjs"), BIN, ...args],
      { cwd, env: { PATH: process.env.PATH, TRACE_IMPORTS_FILE: trace, ...env } },
      () => resolve(),
    ),
  );
  return existsSync(trace) ? readFileSync(trace, "utf8").split("\n") : [];
}

const CLIENT = /@kubernetes\/client-node/;
const CONFIG = `services:\n  api:\n    run: {command: [x]}\n`;

describe("lazy loading of the Kubernetes client", { timeout: 60_000 }, () => {
  for (const args of [
    ["--help"],
    ["validate", "-k", "k"],
    ["schema"],
    ["config", "--no-resolve", "-k", "k"],
  ]) {
    it(`\`mirrord-up ${args.join(" ")}\` does not load it`, async () => {
      const modules = await loadedModules(args, withConfig(CONFIG));
      assert.ok(
        modules.some((m) => m.endsWith("/dist/mirrord-up.cjs")),
        "the trace works",
      );
      assert.equal(modules.filter((m) => CLIENT.test(m)).length, 0);
    });
  }

  it("`mirrord-up config` with a target to infer does load it", async () => {
    const kube = await startFakeKube({ namespaces: { default: { deployments: ["api"] } } });
    const dir = withConfig(CONFIG);
    const kubeconfig = writeKubeconfig(join(dir, "kc"), {
      clusters: [{ name: "c", server: kube.url, insecure: true }],
      contexts: [{ name: "d", cluster: "c" }],
      current: "d",
    });
    const modules = await loadedModules(["config", "-k", "k"], dir, { KUBECONFIG: kubeconfig });
    assert.ok(modules.some((m) => CLIENT.test(m)));
  });
});

describe("lazy loading of the config reader", { timeout: 60_000 }, () => {
  const HEAVY = /\/dist\/mirrord-up-heavy\.cjs$/;
  for (const args of [
    ["ps"],
    ["logs"],
    ["restart", "api"],
    ["top"],
    ["kill", "api"],
    ["completion", "bash"],
    ["stop"],
    ["reload"],
    ["dashboard"],
    ["--help"],
  ]) {
    it(`\`mirrord-up ${args.join(" ")}\` does not load it`, async () => {
      const modules = await loadedModules(args, withConfig(CONFIG), { MIRRORD_UP_RUNTIME_DIR: tempDir() });
      assert.ok(
        modules.some((m) => m.endsWith("/dist/mirrord-up.cjs")),
        "the trace works",
      );
      assert.deepEqual(
        // node:vm is what loads the config reader (src/cli/load-bundle.ts).
        modules.filter((m) => HEAVY.test(m) || /node_modules\/(yaml|zod)\//.test(m) || m === "node:vm"),
        [],
      );
    });
  }

  for (const args of [["validate", "-k", "k"], ["valdate"]]) {
    it(`\`mirrord-up ${args.join(" ")}\` loads it`, async () => {
      const modules = await loadedModules(args, withConfig(CONFIG));
      assert.ok(modules.some((m) => HEAVY.test(m)));
    });
  }

  it("an error the config reader throws is the CLI's own UserError (one class in both bundles)", () => {
    const dir = withConfig("services:\n  api: [\n");
    const script = [
      `const { UserError } = require(${JSON.stringify(join(REPO_ROOT, "dist", "mirrord-up-errors.cjs"))});`,
      `const heavy = require(${JSON.stringify(join(REPO_ROOT, "dist", "mirrord-up-heavy.cjs"))});`,
      "try {",
      `  heavy.loadConfig({ file: "mirrord-up.yaml", cwd: ${JSON.stringify(dir)}, key: "k", env: {} });`,
      '  console.log("loaded");',
      "} catch (e) {",
      "  console.log(e instanceof UserError, e.exitCode);",
      "}",
    ].join("\n");
    const run = spawnSync(process.execPath, ["-e", script], { encoding: "utf8" });
    assert.equal(run.stderr, "");
    assert.equal(run.stdout, "true 2\n");
  });
});

describe("lazy loading of node:crypto", { timeout: 60_000 }, () => {
  const LOCAL = `services:\n  once:\n    run: {type: local, command: [sh, -c, "echo hi"]}\n`;

  it("`mirrord-up up` of a local service does not load it", async () => {
    const modules = await loadedModules(["-k", "k", "--no-color"], withConfig(LOCAL), {
      MIRRORD_UP_RUNTIME_DIR: tempDir(),
    });
    assert.ok(modules.includes("node:child_process"), "the trace lists Node's modules");
    assert.equal(modules.includes("node:crypto"), false);
  });

  it("`mirrord-up config --output-dir` does not load it either (its temporary names come from /dev/urandom)", async () => {
    const dir = withConfig(LOCAL);
    const modules = await loadedModules(
      ["config", "--no-resolve", "-k", "k", "--output-dir", join(dir, "out")],
      dir,
    );
    assert.ok(modules.includes("node:fs"), "the trace lists Node's modules");
    assert.equal(modules.includes("node:crypto"), false);
  });
});

describe("lazy loading of slugify's transliteration table", { timeout: 60_000 }, () => {
  const SLUG = `services:\n  api:\n    run: {command: ["{{ get_env(name='BRANCH') | slugify }}"]}\n`;

  /** The rendered command for $BRANCH, and whether the run loaded node:zlib (the table is Brotli). */
  async function configWithBranch(branch: string): Promise<{ out: string; zlib: boolean }> {
    const trace = join(tempDir(), "builtins.txt");
    const out = await new Promise<string>((resolve) =>
      execFile(
        process.execPath,
        [
          ...BIN_FLAGS,
          "--require",
          join(REPO_ROOT, "test", "fixtures", "trace-builtins.cjs"),
          BIN,
          "config",
          "--no-resolve",
          "-k",
          "k",
        ],
        {
          cwd: withConfig(SLUG),
          env: { PATH: process.env.PATH, TRACE_BUILTINS_FILE: trace, BRANCH: branch },
        },
        (_error, stdout) => resolve(stdout),
      ),
    );
    const modules = readFileSync(trace, "utf8").split("\n");
    assert.ok(modules.includes("node:fs"), "the trace lists Node's modules");
    return { out, zlib: modules.includes("node:zlib") };
  }

  it("ASCII text is slugified without it", async () => {
    const { out, zlib } = await configWithBranch("Feature/Login_42");
    assert.match(out, /feature-login-42/);
    assert.equal(zlib, false);
  });

  it("non-ASCII text loads it, and is transliterated", async () => {
    const { out, zlib } = await configWithBranch("фича/логин");
    assert.match(out, /ficha-login/);
    assert.equal(zlib, true);
  });
});

describe("what `up` of quiet services loads", { timeout: 60_000 }, () => {
  const LOCAL = `services:\n  once:\n    run: {type: local, command: [sh, -c, "echo hi"]}\n`;

  it("no node:http until a client connects, no file streams for a stdin from /dev/null", async () => {
    const cwd = withConfig(LOCAL);
    const trace = join(tempDir(), "imports.txt");
    const env = { PATH: process.env.PATH, TRACE_BUILTINS_FILE: trace, MIRRORD_UP_RUNTIME_DIR: tempDir() };
    const child = spawn(
      process.execPath,
      [
        ...BIN_FLAGS,
        "--require",
        join(REPO_ROOT, "test", "fixtures", "trace-builtins.cjs"),
        BIN,
        "-k",
        "k",
        "--no-color",
      ],
      { cwd, env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c;
    });
    const code = await new Promise((resolve) => child.on("exit", resolve));
    assert.equal(code, 0);
    assert.match(out, /once .*\| hi/);
    const modules = readFileSync(trace, "utf8").split("\n");
    assert.ok(modules.includes("node:net"), "the trace lists Node's modules");
    for (const unwanted of [
      "node:http",
      "node:internal/fs/streams",
      "node:internal/fs/promises",
      "node:internal/readline/interface",
      "node:internal/fs/watchers",
    ])
      assert.equal(modules.includes(unwanted), false, unwanted);
  });
});

describe("the installed command", { timeout: 60_000 }, () => {
  /** Runs the bin file as an executable with a `node` first on PATH that records its arguments. */
  function nodeArgsOf(args: string[]): Promise<string> {
    const dir = tempDir();
    const log = join(dir, "node-args");
    const node = join(dir, "node");
    writeFileSync(node, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec '${process.execPath}' "$@"\n`, {
      mode: 0o755,
    });
    return new Promise((resolve) =>
      execFile(
        BIN,
        args,
        {
          cwd: withConfig(CONFIG),
          env: { PATH: `${dir}:${process.env.PATH}`, MIRRORD_UP_RUNTIME_DIR: tempDir() },
        },
        () => resolve(existsSync(log) ? readFileSync(log, "utf8") : ""),
      ),
    );
  }

  for (const args of [
    ["validate", "-k", "k"],
    ["-k", "k", "--no-color"],
    ["ps", "--help"],
  ]) {
    it(`\`mirrord-up ${args.join(" ")}\` runs under the \`node\` first on PATH, with a young generation of at most 1 MiB per semi-space and one V8 worker thread`, async () => {
      assert.equal(
        await nodeArgsOf(args),
        `${["--max-semi-space-size=1", "--v8-pool-size=1", BIN, ...args].join(" ")}\n`,
      );
    });
  }

  it("executed as a file, runs mirrord-up under that Node (the service sees its parent's command line)", async () => {
    const dir = withConfig(
      `services:\n  parent:\n    run: {type: local, command: [sh, -c, "tr '\\\\0' ' ' < /proc/$PPID/cmdline; echo"]}\n`,
    );
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        BIN,
        ["-k", "k", "--no-color"],
        {
          cwd: dir,
          env: {
            PATH: `${dirname(process.execPath)}:${process.env.PATH}`,
            MIRRORD_UP_RUNTIME_DIR: tempDir(),
          },
        },
        (error, stdout, stderr) =>
          error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout),
      ),
    );
    assert.match(
      out,
      /parent .*\| node --max-semi-space-size=1 --v8-pool-size=1 \S*mirrord-up\.js -k k --no-color/,
    );
  });
});
