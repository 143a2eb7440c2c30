/**
 * `doctor`'s checks of this machine, and the command's contract: exit codes, the text report,
 * `up --preflight`. The cluster is the small API server on 127.0.0.1, always healthy here.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, it } from "node:test";
import { locateInstance } from "../src/control/client.js";
import { ensureRuntimeDir } from "../src/control/runtime-dir.js";
import { type ControlSocket, startControlServer } from "../src/control/server.js";
import { buildRunPlan } from "../src/plan/assemble.js";
import {
  FIELD_TABLE_RANGE,
  fieldsTooNew,
  fieldsUsed,
  parseMirrordVersion,
} from "../src/plan/mirrord-fields.js";
import { runCliCaptured } from "./helpers/cli.js";
import { line, READY_API, setup } from "./helpers/doctor.js";
import { startFakeKube, writeKubeconfig } from "./helpers/kube-fake.js";
import { parseConfig } from "./helpers/parse.js";
import { RunControlStub } from "./helpers/run-control-stub.js";
import { tempDir } from "./helpers/tmp.js";
import { runUp } from "./helpers/up.js";

const HEALTHY = { namespaces: { shop: { deployments: ["api"], pods: [READY_API] } } };
const API = "services:\n  api:\n    target: {path: deployment/api}\n    run: {command: [sh, -c, 'true']}\n";

describe("doctor: this machine", () => {
  it("mirrord not found is a problem with where to get it; found, its version is read", async () => {
    const missing = await setup(API, HEALTHY, {}, { MIRRORD_BIN: "/nonexistent/mirrord" });
    const { code, report } = await missing.doctor();
    assert.equal(code, 1);
    const l = line(report, "mirrord", "problem");
    assert.match(l.message, /mirrord was not found \(MIRRORD_BIN=\/nonexistent\/mirrord/);
    assert.match(l.hint ?? "", /install it/);

    const found = await setup(API, HEALTHY, {}, { FAKE_MIRRORD_VERSION: "3.201.4" });
    assert.match(line((await found.doctor()).report, "mirrord", "ok").message, /^mirrord 3\.201\.4 \(/);
  });

  it("a field the config uses that this mirrord predates is a problem, located, naming the version it needs", async () => {
    const config = API.replace(
      "    run:",
      "    http_filter: {header_filter_jq: .a}\n    messages: [bullmq]\n    run:",
    );
    const old = await setup(config, HEALTHY, {}, { FAKE_MIRRORD_VERSION: "3.190.0" });
    const { code, report } = await old.doctor();
    assert.equal(code, 1);
    const lines = report.groups[0]?.checks.filter((c) => c.check === "mirrord-fields") ?? [];
    assert.deepEqual(
      lines.map((c) => c.message),
      [
        "mirrord-up.yaml:4:37: feature.network.incoming.http_filter.header_filter_jq needs mirrord 3.194.0 or newer; this one is 3.190.0",
        'mirrord-up.yaml:5:15: feature.split_queues queue_type "BullMQ" needs mirrord 3.227.0 or newer; this one is 3.190.0',
      ],
    );
    assert.deepEqual(lines[0]?.services, ["api"]);
    assert.match(lines[0]?.hint ?? "", /upgrade mirrord/);

    const current = await setup(config, HEALTHY, {}, { FAKE_MIRRORD_VERSION: "3.250.0" });
    assert.match(
      line((await current.doctor()).report, "mirrord-fields", "ok").message,
      /accepts every field/,
    );
  });

  it("the field table covers every field a generated config sets", () => {
    const everything =
      parseConfig(`common: {operator: true, telemetry: false, accept_invalid_certificates: true, context: c}
services:
  a:
    target: {path: deployment/a, namespace: n}
    env: {include: [A], override: {B: "1"}, unset: [C], env_file: x.env, mapping: {D: e}, load_from_process: true}
    http_filter: {all_of: [{header: x}], ports: [80]}
    ignore_ports: [9]
    messages: auto
    run: {command: [a]}
  b: {default_mode: replace, target: {path: deployment/b}, run: {command: [b]}}
  c: {http_filter: {body_filter: {body: json, query: .a, matches: b}}, target: none, run: {command: [c]}}
  d: {http_filter: {header_filter_jq: .a}, target: none, run: {command: [d]}}
  e: {http_filter: {method_filter: GET}, target: none, run: {command: [e]}}
  f: {http_filter: {path_filter: x}, target: none, run: {command: [f]}}
  g: {http_filter: {any_of: [{path: x}]}, target: none, run: {command: [g]}}
`);
    const plan = buildRunPlan(everything, { key: "k", services: [] });
    const covered = new Set(
      plan.sessions.flatMap((s) => (s.mirrordConfig ? fieldsUsed(s.mirrordConfig) : [])),
    );
    for (const s of plan.sessions) {
      for (const leaf of leaves(s.mirrordConfig ?? {}, "")) {
        assert.ok(
          [...covered].some((f) => leaf === f.split("=")[0] || leaf.startsWith(`${f.split("=")[0]}.`)),
          `${s.name}: ${leaf} is not in the field table`,
        );
      }
    }
    // The oldest release the table knows accepts none of the newest fields.
    const a = plan.sessions.find((s) => s.name === "a")?.mirrordConfig;
    assert.ok(a && fieldsTooNew(a, FIELD_TABLE_RANGE.oldest).length > 0);
    assert.equal(parseMirrordVersion("mirrord 3.250.0\n"), "3.250.0");
    assert.equal(parseMirrordVersion("kubectl 1.2.3"), undefined);
  });

  it("a program not found is a problem located in the file; found, ok", async () => {
    const { doctor } = await setup(API.replace("[sh, -c, 'true']", "[no-such-program-xyz]"), HEALTHY);
    const { code, report } = await doctor();
    assert.equal(code, 1);
    assert.match(
      line(report, "programs", "problem").message,
      /mirrord-up\.yaml:4:\d+: services\.api\.run\.command: program "no-such-program-xyz" was not found on PATH/,
    );
    assert.equal(line((await (await setup(API, HEALTHY)).doctor()).report, "programs").status, "ok");
  });

  it("a working directory or env file that is not there is a problem, as validate reports it", async () => {
    const config = API.replace(
      "run: {command:",
      "env_file: missing.env\n    run: {working_dir: nowhere, command:",
    );
    const { code, report } = await (await setup(config, HEALTHY)).doctor();
    assert.equal(code, 1);
    const messages = report.groups[0]?.checks.filter((c) => c.check === "files").map((c) => c.message) ?? [];
    assert.equal(messages.length, 2, messages.join("\n"));
    assert.ok(messages.some((m) => /run\.working_dir: .*nowhere/.test(m)));
    assert.ok(messages.some((m) => /env_file: .*missing\.env/.test(m)));
  });

  it("a ready_when port already taken on 127.0.0.1 is a problem; a free one passes", async () => {
    const server = createServer().listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const config = API.replace("    run:", `    ready_when: {port: ${port}}\n    run:`);
      const { code, report } = await (await setup(config, HEALTHY)).doctor();
      assert.equal(code, 1);
      const l = line(report, "ready-port", "problem");
      assert.match(l.message, new RegExp(`port ${port} of ready_when is already in use`));
      assert.match(l.hint ?? "", /ss -ltnp/);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    // The same port, now closed.
    const config = API.replace("    run:", `    ready_when: {port: ${port}}\n    run:`);
    assert.equal(line((await (await setup(config, HEALTHY)).doctor()).report, "ready-port").status, "ok");
  });

  it("a runtime directory that cannot be used is a problem with a hint", async () => {
    const { dir, doctor } = await setup(API, HEALTHY);
    const bad = join(dir, "not-a-dir");
    writeFileSync(bad, "");
    const failing = await setup(API, HEALTHY, {}, { MIRRORD_UP_RUNTIME_DIR: bad });
    const l = line((await failing.doctor()).report, "runtime-dir", "problem");
    assert.match(l.message, /refusing the runtime directory .*: it is not a directory/);
    assert.match(l.hint ?? "", /MIRRORD_UP_RUNTIME_DIR/);
    assert.equal(line((await doctor()).report, "runtime-dir").status, "ok");
  });

  it("another up running for the same file is a problem", async () => {
    const { dir, env, doctor } = await setup(API, HEALTHY);
    assert.equal(line((await doctor()).report, "already-running").status, "ok");
    ensureRuntimeDir(env, dir);
    const socket: ControlSocket = await startControlServer(
      new RunControlStub(["api"]),
      locateInstance(undefined, env, dir).socketPath as string,
    );
    try {
      const l = line((await doctor()).report, "already-running", "problem");
      assert.match(l.message, /mirrord-up is already running for .*mirrord-up\.yaml \(pid \d+\)/);
      assert.match(l.hint ?? "", /mirrord-up down/);
    } finally {
      await socket.close();
    }
  });
});

describe("doctor: the command", () => {
  it("prints one line per check in groups, a hint under each problem, and exits 1 on a problem", async () => {
    const { dir, env } = await setup(API.replace("deployment/api", "deployment/apy"), HEALTHY);
    const r = await runCliCaptured(["doctor"], { cwd: dir, env });
    assert.equal(r.code, 1);
    const lines = r.stdout.split("\n");
    assert.equal(lines[0], "this machine");
    assert.ok(lines.some((l) => /^the cluster: context "dev" \(http:\/\/127\.0\.0\.1:\d+\)$/.test(l)));
    assert.ok(lines.includes("sessions"));
    const problem = lines.findIndex((l) =>
      l.startsWith('  problem  target: deployment "apy" does not exist'),
    );
    assert.ok(problem > 0, r.stdout);
    assert.match(lines[problem + 1] ?? "", /^ {11}hint: did you mean deployment\/api\?/);
    assert.match(r.stdout, /\n1 problem, 0 warnings\n$/);
  });

  it("exits 0 with warnings only, 2 on an invalid file or usage", async () => {
    const { dir, env } = await setup(API, {
      namespaces: {
        shop: {
          labels: { "pod-security.kubernetes.io/enforce": "baseline" },
          deployments: ["api"],
          pods: [READY_API],
        },
      },
    });
    assert.equal((await runCliCaptured(["doctor"], { cwd: dir, env })).code, 0);
    assert.equal((await runCliCaptured(["doctor", "--request-timeout", "soon"], { cwd: dir, env })).code, 2);
    writeFileSync(join(dir, "mirrord-up.yaml"), "services:\n  api: {run: {command: []}, bogus: 1}\n");
    const invalid = await runCliCaptured(["doctor"], { cwd: dir, env });
    assert.equal(invalid.code, 2);
    assert.match(invalid.stderr, /mirrord-up\.yaml:2:\d+/);
  });

  it("up --preflight starts nothing when doctor finds a problem, and starts as usual when it finds none", async () => {
    const kube = await startFakeKube(HEALTHY);
    const kubeconfig = writeKubeconfig(join(tempDir(), "kubeconfig"), {
      clusters: [{ name: "c", server: kube.url, insecure: true }],
      contexts: [{ name: "dev", cluster: "c", namespace: "shop" }],
      current: "dev",
    });
    const env = { KUBECONFIG: kubeconfig };
    const refused = await runUp(API.replace("deployment/api", "deployment/apy"), {
      args: ["up", "--preflight"],
      env,
    });
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /problem {2}target: deployment "apy" does not exist/);
    assert.match(refused.stderr, /--preflight found a problem; nothing was started/);
    assert.deepEqual(refused.run.mirrordLog(), []);

    const started = await runUp(API, { args: ["up", "--preflight", "--request-timeout", "5"], env });
    assert.match(started.stderr, /\nno problem found\n/);
    assert.equal(started.run.mirrordLog().length, 1, started.stderr);
  });
});

function leaves(value: unknown, prefix: string): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [prefix];
  // Maps of names to values are one field: env.override, env.mapping, split_queues.
  if (/(override|mapping|split_queues|http_filter\.(all_of|any_of|body_filter))$/.test(prefix))
    return [prefix];
  return Object.entries(value).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}
