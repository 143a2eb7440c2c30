/**
 * Target inference against real HTTP: fake API servers on 127.0.0.1 and generated kubeconfigs.
 * Runs the real CLI in-process (`config --format json`), and the binary where exiting matters.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCliCaptured } from "./helpers/cli.js";
import { type FakeKubeOptions, startFakeKube, writeKubeconfig } from "./helpers/kube-fake.js";
import { BIN_ARGS, REPO_ROOT } from "./helpers/paths.js";
import { tempDir } from "./helpers/tmp.js";
import { runUp } from "./helpers/up.js";

/**
 * Upstream's `SKIP_NAMES` (the containers mirrord never picks), read from its source as copied
 * into test/fixtures/upstream-kube/: the string literals of the `HashSet::from([...])`, and the
 * `const NAME: &str = "..."` that an entry names.
 */
function upstreamSkipNames(): string[] {
  const source = readFileSync(join(REPO_ROOT, "test", "fixtures", "upstream-kube", "container.rs"), "utf8");
  const block = /pub static SKIP_NAMES\b[\s\S]*?HashSet::from\(\[([\s\S]*?)\]\)/.exec(source)?.[1];
  assert.ok(block, "SKIP_NAMES not found in the upstream copy");
  const constants = new Map(
    [...source.matchAll(/^const (\w+): &str = "([^"]*)";/gm)].map(([, name, value]) => [name, value]),
  );
  return block
    .replace(/\/\/.*$/gm, "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
    .map((entry) => {
      const literal = /^"([^"]*)"$/.exec(entry)?.[1] ?? constants.get(entry);
      assert.ok(literal !== undefined, `cannot read SKIP_NAMES entry ${entry}`);
      return literal;
    });
}

/** A config dir with one cluster, one context (`dev`, default namespace `shop`), and a file. */
async function setup(
  config: string,
  cluster: FakeKubeOptions,
  context: { namespace?: string } = { namespace: "shop" },
) {
  const kube = await startFakeKube(cluster);
  const dir = tempDir();
  writeFileSync(join(dir, "mirrord-up.yaml"), config);
  const kubeconfig = writeKubeconfig(join(dir, "kubeconfig"), {
    clusters: [{ name: "c", server: kube.url, insecure: true }],
    users: [{ name: "dev", token: cluster.token }],
    contexts: [{ name: "dev", cluster: "c", namespace: context.namespace }],
    current: "dev",
  });
  const env = { KUBECONFIG: kubeconfig, MIRRORD_UP_KUBE_TIMEOUT: "5" };
  const config_ = async (...args: string[]) => {
    const r = await runCliCaptured(["config", "--format", "json", "-k", "k", ...args], { cwd: dir, env });
    return { ...r, doc: r.code === 0 ? JSON.parse(r.stdout) : undefined };
  };
  return { kube, dir, env, kubeconfig, config: config_ };
}

const SHOP: FakeKubeOptions = {
  namespaces: {
    shop: {
      deployments: ["api", "both"],
      statefulsets: ["both", "db", "sts-and-pod"],
      rollouts: ["canary", "sts-and-pod"],
      pods: [
        { name: "sts-and-pod" },
        { name: "lonely" },
        { name: "meshed", containers: ["app", "istio-proxy"] },
        { name: "multi", containers: ["web", "worker"] },
        { name: "sleepy", ready: false },
        { name: "pending", phase: "Pending" },
      ],
      mirrordOwned: [],
    },
    other: { deployments: ["elsewhere"] },
    empty: {},
  },
};

const svc = (name: string, extra = "") => `  ${name}:${extra ? `\n${extra}` : ""}\n    run: {command: [x]}\n`;

describe("target inference", { timeout: 120_000 }, () => {
  it("looks the service name up and uses the first match in priority order", async () => {
    const names = ["api", "both", "db", "canary", "sts-and-pod", "lonely", "meshed", "multi"];
    const s = await setup(`services:\n${names.map((n) => svc(n)).join("")}`, SHOP);
    const r = await s.config();
    assert.equal(r.code, 0, r.stderr);
    const path = (n: string) => r.doc.services[n].config.target.path;
    assert.equal(path("api"), "deployment/api");
    assert.equal(path("both"), "deployment/both", "a deployment beats a statefulset of the same name");
    assert.equal(path("db"), "statefulset/db");
    assert.equal(path("canary"), "rollout/canary");
    assert.equal(path("sts-and-pod"), "statefulset/sts-and-pod", "a statefulset beats a rollout and a pod");
    assert.equal(path("lonely"), "pod/lonely");
    assert.equal(path("meshed"), "pod/meshed", "mesh sidecars are not containers to choose from");
    assert.equal(path("multi"), "pod/multi/container/web");
    assert.match(r.stderr, /^api: using deployment\/api$/m);
    assert.equal(r.doc.services.api.infer_target, undefined);
    assert.equal(r.doc.services.api.config.target.namespace, undefined, "the namespace stays as configured");
  });

  it("lists each (context, namespace) once, however many services are looked up there", async () => {
    const s = await setup(`services:\n${svc("api")}${svc("db")}${svc("canary")}`, SHOP);
    assert.equal((await s.config()).code, 0);
    assert.equal(s.kube.requests.filter((q) => q.path.endsWith("/deployments")).length, 1);
  });

  it("pods must be Running and Ready; mirrord's own objects are never targets", async () => {
    const s = await setup(`services:\n${svc("sleepy")}${svc("pending")}${svc("agent")}`, {
      namespaces: { shop: { ...SHOP.namespaces.shop, deployments: ["agent"], mirrordOwned: ["agent"] } },
    });
    const r = await s.config();
    assert.equal(r.code, 2);
    for (const n of ["sleepy", "pending", "agent"])
      assert.match(r.stderr, new RegExp(`no deployment, statefulset, rollout or pod named "${n}"`));
  });

  it("skips upstream's sidecars (mesh, vault, Knative, Telepresence, their init containers) and nothing else", async () => {
    const sidecars = upstreamSkipNames();
    assert.ok(sidecars.length >= 10, `upstream's list as read: ${sidecars.join(", ")}`);
    const s = await setup(`services:\n${svc("injected")}${svc("envoy")}`, {
      namespaces: {
        shop: {
          pods: [
            { name: "injected", containers: ["kuma-init", ...sidecars, "app"] },
            // Not on upstream's list: a container like any other.
            { name: "envoy", containers: ["envoy-sidecar", "app"] },
          ],
        },
      },
    });
    const r = await s.config();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.doc.services.injected.config.target.path, "pod/injected");
    assert.equal(r.doc.services.envoy.config.target.path, "pod/envoy/container/envoy-sidecar");
  });

  it("operator copies (label operator.metalbear.co/owner, any value) and app=mirrord objects are never targets", async () => {
    const s = await setup(`services:\n${svc("copied")}${svc("agent")}${svc("labelled")}`, {
      namespaces: {
        shop: {
          pods: [
            { name: "copied", labels: { "operator.metalbear.co/owner": "" } },
            { name: "agent", labels: { app: "mirrord" } },
            { name: "labelled", labels: { app: "mirrord-up", owner: "operator.metalbear.co" } },
          ],
        },
      },
    });
    const r = await s.config("--no-interactive");
    assert.equal(r.code, 2);
    for (const n of ["copied", "agent"]) {
      assert.match(r.stderr, new RegExp(`no deployment, statefulset, rollout or pod named "${n}"`));
    }
    assert.doesNotMatch(r.stderr, /named "labelled"/, "other labels do not exclude a pod");
  });

  it("searches the configured namespace, else the context's default, else `default`", async () => {
    const s = await setup(
      `services:\n${svc("elsewhere", "    target: {namespace: other}")}${svc("api")}`,
      SHOP,
    );
    const r = await s.config();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.doc.services.elsewhere.config.target.path, "deployment/elsewhere");
    assert.equal(r.doc.services.elsewhere.config.target.namespace, "other");
    assert.ok(s.kube.requests.some((q) => q.path === "/apis/apps/v1/namespaces/shop/deployments"));
    const noDefault = await setup(
      `services:\n${svc("x")}`,
      { namespaces: { default: { deployments: ["x"] } } },
      {},
    );
    assert.equal((await noDefault.config()).code, 0);
    assert.ok(noDefault.kube.requests.some((q) => q.path === "/apis/apps/v1/namespaces/default/deployments"));
  });

  it("a cluster without the Argo rollouts CRD is fine", async () => {
    const s = await setup(`services:\n${svc("api")}`, { ...SHOP, rolloutsCrd: false });
    assert.equal((await s.config()).code, 0);
  });

  it("not found without a terminal: an error naming namespace and context, what is there, the closest name", async () => {
    const s = await setup(`services:\n${svc("apii")}`, SHOP);
    const r = await s.config();
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^mirrord-up\.yaml:2:3: error: services\.apii: no deployment, statefulset, rollout or pod named "apii" in namespace "shop" \(context "dev"\)/m,
    );
    assert.match(r.stderr, /did you mean target: \{path: deployment\/api\}\?/);
    assert.match(r.stderr, /there: deployment\/api, deployment\/both/);
  });

  it("a namespace that does not exist is named as such, with the closest one", async () => {
    const s = await setup(`services:\n${svc("api", "    target: {namespace: shp}")}`, SHOP);
    const r = await s.config();
    assert.equal(r.code, 2);
    assert.match(r.stderr, /namespace "shp" does not exist \(context "dev"\)/);
    assert.match(r.stderr, /did you mean "shop"\?/);
  });

  it("--no-resolve does not ask the cluster: the target shows as pending", async () => {
    const s = await setup(`services:\n${svc("api")}`, SHOP);
    const r = await s.config("--no-resolve");
    assert.equal(r.code, 0);
    assert.equal(r.doc.services.api.infer_target, true);
    assert.deepEqual(s.kube.requests, []);
  });

  it("replace mode is checked against the inferred target", async () => {
    const s = await setup(`services:\n${svc("lonely", "    default_mode: replace")}`, SHOP);
    const r = await s.config();
    assert.equal(r.code, 2);
    assert.match(r.stderr, /`lonely` is `replace` mode with a pod target/);
  });

  it("up passes the inferred target to mirrord", async () => {
    const s = await setup(`services:\n  api:\n    run: {command: ["true"]}\n`, SHOP);
    const { code, run, stderr } = await runUp(`services:\n  api:\n    run: {command: ["true"]}\n`, {
      env: s.env,
    });
    assert.equal(code, 0, stderr);
    assert.deepEqual(run.mirrordLog()[0]?.config.target, { path: "deployment/api" });
    assert.match(stderr, /api: using deployment\/api/);
  });
});

describe("contexts and kubeconfig", { timeout: 120_000 }, () => {
  async function twoClusters() {
    const a = await startFakeKube({ namespaces: { default: { deployments: ["api"] } } });
    const b = await startFakeKube({ namespaces: { default: { deployments: ["api"] } } });
    const dir = tempDir();
    const kubeconfig = writeKubeconfig(join(dir, "kubeconfig"), {
      clusters: [
        { name: "a", server: a.url, insecure: true },
        { name: "b", server: b.url, insecure: true },
      ],
      contexts: [
        { name: "ctx-a", cluster: "a" },
        { name: "ctx-b", cluster: "b" },
      ],
      current: "ctx-a",
    });
    const run = async (config: string, ...args: string[]) => {
      writeFileSync(join(dir, "mirrord-up.yaml"), config);
      a.requests.length = 0;
      b.requests.length = 0;
      const r = await runCliCaptured(["config", "--format", "json", "-k", "k", ...args], {
        cwd: dir,
        env: { KUBECONFIG: kubeconfig },
      });
      return {
        ...r,
        asked:
          a.requests.length > 0
            ? b.requests.length > 0
              ? "both"
              : "a"
            : b.requests.length > 0
              ? "b"
              : "none",
      };
    };
    return { a, b, dir, kubeconfig, run };
  }

  it("precedence: --context > service context > common.context > current-context, over real HTTP", async () => {
    const t = await twoClusters();
    assert.equal((await t.run(`services:\n${svc("api")}`)).asked, "a");
    assert.equal((await t.run(`common: {context: ctx-b}\nservices:\n${svc("api")}`)).asked, "b");
    assert.equal(
      (await t.run(`common: {context: ctx-b}\nservices:\n${svc("api", "    context: ctx-a")}`)).asked,
      "a",
    );
    assert.equal(
      (
        await t.run(
          `common: {context: ctx-a}\nservices:\n${svc("api", "    context: ctx-a")}`,
          "--context",
          "ctx-b",
        )
      ).asked,
      "b",
    );
  });

  it("KUBECONFIG with several files works like kubectl: first definition and first current-context win", async () => {
    const t = await twoClusters();
    const second = writeKubeconfig(join(t.dir, "second"), {
      clusters: [{ name: "a", server: t.b.url, insecure: true }],
      contexts: [
        { name: "ctx-a", cluster: "a" },
        { name: "ctx-c", cluster: "a" },
      ],
      current: "ctx-c",
    });
    writeFileSync(join(t.dir, "mirrord-up.yaml"), `services:\n${svc("api")}`);
    const r = await runCliCaptured(["config", "--format", "json", "-k", "k"], {
      cwd: t.dir,
      env: { KUBECONFIG: `${t.kubeconfig}:${join(t.dir, "missing")}:${second}` },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(t.a.requests.length > 0, "ctx-a from the first file, which is current");
    assert.equal(t.b.requests.length, 0);
    const viaSecond = await runCliCaptured(["config", "--format", "json", "-k", "k", "--context", "ctx-c"], {
      cwd: t.dir,
      env: { KUBECONFIG: `${t.kubeconfig}:${second}` },
    });
    assert.equal(viaSecond.code, 0, viaSecond.stderr);
  });

  it("an unknown context lists the available ones, suggests the closest, and points at where it was set", async () => {
    const t = await twoClusters();
    const r = await t.run(`services:\n${svc("api", "    context: ctx-bb")}`);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /^mirrord-up\.yaml:3:14: error: unknown kube context "ctx-bb" \(from service context\)/m,
    );
    assert.match(r.stderr, /did you mean "ctx-b"\? available contexts: ctx-a, ctx-b/);
    const flag = await t.run(`services:\n${svc("api")}`, "--context", "nope");
    assert.match(flag.stderr, /unknown kube context "nope" \(from --context\)/);
  });
});

describe("cluster errors a user will meet", { timeout: 120_000 }, () => {
  it("401: the credentials were rejected; the token is never printed", async () => {
    const s = await setup(`services:\n${svc("api")}`, { ...SHOP, token: "right-token" });
    writeKubeconfig(s.kubeconfig, {
      clusters: [{ name: "c", server: s.kube.url, insecure: true }],
      users: [{ name: "dev", token: "wrong-token-s3cr3t" }],
      contexts: [{ name: "dev", cluster: "c" }],
      current: "dev",
    });
    const r = await s.config();
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      new RegExp(`rejected the credentials of context "dev", server ${s.kube.url} \\(401 Unauthorized\\)`),
    );
    assert.doesNotMatch(r.stderr, /s3cr3t|right-token/);
  });

  it("403: says what was not allowed, where", async () => {
    const s = await setup(`services:\n${svc("api")}`, { ...SHOP, forbidden: ["shop"] });
    const r = await s.config();
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /not allowed to list deployments in namespace "shop" \(context "dev", server http:\/\/127\.0\.0\.1:\d+\): 403 Forbidden/,
    );
  });

  it("an unreachable server is named, and the wait is bounded", async () => {
    const hanging = await setup(`services:\n${svc("api")}`, { ...SHOP, hang: true });
    const r = await new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [...BIN_ARGS, "config", "-k", "k"],
        { cwd: hanging.dir, env: { ...hanging.env, PATH: process.env.PATH, MIRRORD_UP_KUBE_TIMEOUT: "1" } },
        (e, _o, stderr) => resolve({ code: Number((e as { code?: number } | null)?.code ?? 0), stderr }),
      ),
    );
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /no answer from the API server within 1s \(context "dev", server http:\/\/127\.0\.0\.1:\d+\)/,
    );
    const refused = await setup(`services:\n${svc("api")}`, SHOP);
    await refused.kube.close();
    const r2 = await refused.config();
    assert.match(
      r2.stderr,
      /cannot reach the API server \(context "dev", server http:\/\/127\.0\.0\.1:\d+\): ECONNREFUSED/,
    );
  });

  it("a TLS failure suggests accept_invalid_certificates, which then works", async () => {
    const kube = await startFakeKube({ ...SHOP, tls: true });
    const dir = tempDir();
    const kubeconfig = writeKubeconfig(join(dir, "kubeconfig"), {
      clusters: [{ name: "c", server: kube.url }],
      contexts: [{ name: "dev", cluster: "c", namespace: "shop" }],
      current: "dev",
    });
    writeFileSync(join(dir, "mirrord-up.yaml"), `services:\n${svc("api")}`);
    const r = await runCliCaptured(["config", "-k", "k"], { cwd: dir, env: { KUBECONFIG: kubeconfig } });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /TLS error talking to the API server \(context "dev", server https:\/\/127\.0\.0\.1:\d+\)/,
    );
    assert.match(r.stderr, /common\.accept_invalid_certificates: true/);
    writeFileSync(
      join(dir, "mirrord-up.yaml"),
      `common: {accept_invalid_certificates: true}\nservices:\n${svc("api")}`,
    );
    const ok = await runCliCaptured(["config", "-k", "k"], { cwd: dir, env: { KUBECONFIG: kubeconfig } });
    assert.equal(ok.code, 0, ok.stderr);
  });

  it("no kubeconfig at all is a clear error", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "mirrord-up.yaml"), `services:\n${svc("api")}`);
    const r = await runCliCaptured(["config", "-k", "k"], { cwd: dir, env: { HOME: dir } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no kubeconfig found \(no ~\/\.kube\/config\)/);
  });
});
