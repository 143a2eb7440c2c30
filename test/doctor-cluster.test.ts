/**
 * `doctor`'s cluster checks against the small API server on 127.0.0.1 (real HTTP, the real
 * client library, real kubeconfigs): each check made to pass and to fail, with its hint.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCliCaptured } from "./helpers/cli.js";
import { line, READY_API, type Report, STAND_IN, setup } from "./helpers/doctor.js";
import { startFakeKube, writeKubeconfig } from "./helpers/kube-fake.js";
import { tempDir } from "./helpers/tmp.js";

const API = "services:\n  api:\n    target: {path: deployment/api}\n    run: {command: [sh, -c, 'true']}\n";

describe("doctor: the cluster", () => {
  it("passes every cluster check when the target is there and ready, and sends only GETs and access reviews", async () => {
    const { doctor, kube } = await setup(API, {
      namespaces: { shop: { deployments: ["api"], pods: [READY_API] } },
    });
    const { code, report } = await doctor();
    assert.equal(code, 0, JSON.stringify(report, null, 1));
    for (const check of [
      "context",
      "api-server",
      "credentials",
      "namespace",
      "permissions",
      "target",
      "ready-pod",
      "pod-security",
    ]) {
      assert.equal(line(report, check).status, "ok", check);
    }
    const writes = kube.requests.filter((r) => r.method !== "GET");
    assert.ok(writes.length > 0);
    for (const r of writes) {
      assert.equal(r.method, "POST");
      assert.equal(r.path, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews");
    }
    const reviewed = writes.map((r) => {
      const a = (r.body as { spec: { resourceAttributes: Record<string, string> } }).spec.resourceAttributes;
      return `${a.verb} ${a.resource}${a.subresource ? `/${a.subresource}` : ""} ${a.namespace}`;
    });
    for (const needed of [
      "create jobs shop",
      "create pods/portforward shop",
      "get pods/log shop",
      "get deployments shop",
    ]) {
      assert.ok(reviewed.includes(needed), `${needed} not reviewed: ${reviewed.join(", ")}`);
    }
  });

  it("no kubeconfig at all: a problem whose hint is about checking the targets, for an explicit target too", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "mirrord-up.yaml"), API);
    const env = {
      PATH: process.env.PATH,
      HOME: dir,
      KUBECONFIG: join(dir, "missing"),
      MIRRORD_BIN: STAND_IN,
      MIRRORD_UP_RUNTIME_DIR: join(dir, "run"),
    };
    const r = await runCliCaptured(["doctor", "--format", "json", "-k", "k"], { cwd: dir, env });
    assert.equal(r.code, 1, r.stderr);
    const l = line(JSON.parse(r.stdout) as Report, "kubeconfig", "problem");
    assert.match(l.message, /no kubeconfig found \(KUBECONFIG=\S*missing names no existing file\)/);
    assert.match(l.hint ?? "", /doctor reads the cluster to check each target/);
    assert.doesNotMatch(l.hint ?? "", /give each service a target\.path/);
  });

  it("a context the kubeconfig does not have is a problem with the close name as hint", async () => {
    const { doctor } = await setup(`common: {context: deb}\n${API}`, { namespaces: { shop: {} } });
    const { code, report } = await doctor();
    assert.equal(code, 1);
    const l = line(report, "context", "problem");
    assert.match(l.message, /unknown kube context "deb"/);
    assert.match(l.hint ?? "", /did you mean "dev"/);
  });

  it("a server that never answers is a problem within --request-timeout", async () => {
    const { doctor } = await setup(API, { namespaces: {}, hang: true });
    const { code, report } = await doctor("--request-timeout", "0.3");
    assert.equal(code, 1);
    const l = line(report, "api-server", "problem");
    assert.match(l.message, /no answer from the API server within 0\.3s/);
    assert.match(l.hint ?? "", /--request-timeout/);
  });

  it("an expired token (401) is a credentials problem with a hint to log in again; the token is never printed", async () => {
    const { doctor } = await setup(
      API,
      { namespaces: { shop: {} }, token: "good-token" },
      { token: "expired-token-s3cr3t" },
    );
    const { code, report, stdout } = await doctor();
    assert.equal(code, 1);
    const l = line(report, "credentials", "problem");
    assert.match(l.message, /401 Unauthorized/);
    assert.match(l.hint ?? "", /log in to the cluster again/);
    assert.doesNotMatch(stdout, /s3cr3t|good-token/);
  });

  it("a permission mirrord needs that an access review denies is a problem naming it", async () => {
    const { doctor } = await setup(API, {
      namespaces: { shop: { deployments: ["api"], pods: [READY_API] } },
      denied: ["create pods/portforward"],
    });
    const { code, report } = await doctor();
    assert.equal(code, 1);
    const l = line(report, "permissions", "problem");
    assert.match(l.message, /in namespace "shop" you may not: create pods\/portforward$/);
    assert.match(l.hint ?? "", /kubectl auth can-i create pods\/portforward -n shop/);
  });

  it("access reviews answered 403 are a problem saying what could not be asked", async () => {
    const { doctor } = await setup(API, {
      namespaces: { shop: { deployments: ["api"], pods: [READY_API] } },
      reviewsForbidden: true,
    });
    const { code, report } = await doctor();
    assert.equal(code, 1);
    const l = line(report, "permissions", "problem");
    assert.match(l.message, /SelfSubjectAccessReview was refused: 403/);
    assert.match(l.hint ?? "", /kubectl auth can-i --list/);
  });

  it("a missing namespace is a problem with did-you-mean", async () => {
    const { doctor } = await setup(API.replace("deployment/api}", "deployment/api, namespace: shpo}"), {
      namespaces: { shop: { deployments: ["api"] } },
    });
    const { code, report } = await doctor();
    assert.equal(code, 1);
    const l = line(report, "namespace", "problem");
    assert.match(l.message, /namespace "shpo" does not exist/);
    assert.match(l.hint ?? "", /did you mean "shop"/);
  });

  it("a missing target is a problem with did-you-mean among those there", async () => {
    const { doctor } = await setup(API.replace("deployment/api", "deployment/apy"), {
      namespaces: { shop: { deployments: ["api", "web"], pods: [READY_API] } },
    });
    const { code, report } = await doctor();
    assert.equal(code, 1);
    const l = line(report, "target", "problem");
    assert.match(l.message, /deployment "apy" does not exist in namespace "shop"/);
    assert.match(l.hint ?? "", /did you mean deployment\/api\?/);
  });

  it("a target without a ready pod is a problem", async () => {
    const { doctor } = await setup(API, {
      namespaces: { shop: { deployments: ["api"], pods: [{ ...READY_API, ready: false }] } },
    });
    const { code, report } = await doctor();
    assert.equal(code, 1);
    const l = line(report, "ready-pod", "problem");
    assert.match(l.message, /deployment\/api in namespace "shop" has no ready pod \(1 pod/);
    assert.match(l.hint ?? "", /kubectl get pods -n shop/);
  });

  it("a container the pods do not have is a problem with did-you-mean; one they have passes", async () => {
    const config = API.replace("deployment/api", "deployment/api/container/mian");
    const { doctor } = await setup(config, {
      namespaces: { shop: { deployments: ["api"], pods: [READY_API] } },
    });
    const failing = await doctor();
    assert.equal(failing.code, 1);
    const l = line(failing.report, "container", "problem");
    assert.match(l.message, /container "mian" is not in the pods of deployment\/api/);
    assert.match(l.hint ?? "", /did you mean "main"\? containers there: main$/);

    const ok = await setup(API.replace("deployment/api", "deployment/api/container/main"), {
      namespaces: { shop: { deployments: ["api"], pods: [READY_API] } },
    });
    assert.equal(line((await ok.doctor()).report, "container").status, "ok");
  });

  it("a target to infer must resolve to exactly one workload: none is a problem, several a warning", async () => {
    const infer = "services:\n  api:\n    run: {command: [sh, -c, 'true']}\n";
    const none = await setup(infer, { namespaces: { shop: { deployments: ["apx"] } } });
    const l = line((await none.doctor()).report, "target", "problem");
    assert.match(l.message, /no deployment, statefulset, rollout or pod named "api"/);
    assert.match(l.hint ?? "", /did you mean "apx"\? set target.path/);

    const two = await setup(infer, {
      namespaces: { shop: { deployments: ["api"], statefulsets: ["api"], pods: [READY_API] } },
    });
    const w = line((await two.doctor()).report, "target", "warning");
    assert.match(w.message, /names 2 workloads .*up takes deployment\/api/);

    const one = await setup(infer, { namespaces: { shop: { deployments: ["api"], pods: [READY_API] } } });
    assert.match(line((await one.doctor()).report, "target", "ok").message, /inferred as deployment\/api/);
  });

  it("a namespace whose Pod Security level rejects the agent is a warning", async () => {
    const { doctor } = await setup(API, {
      namespaces: {
        shop: {
          labels: { "pod-security.kubernetes.io/enforce": "restricted" },
          deployments: ["api"],
          pods: [READY_API],
        },
      },
    });
    const { code, report } = await doctor();
    assert.equal(code, 0);
    const l = line(report, "pod-security", "warning");
    assert.match(l.message, /enforces Pod Security "restricted"/);
    assert.match(l.hint ?? "", /privileged/);
  });

  it("replace mode without the operator's API is a problem; with it, ok, saying what is not checked", async () => {
    const config = API.replace("    target:", "    default_mode: replace\n    target:");
    const cluster = { namespaces: { shop: { deployments: ["api"], pods: [READY_API] } } };
    const missing = await setup(config, cluster);
    const l = line((await missing.doctor()).report, "operator", "problem");
    assert.match(l.message, /need the mirrord operator.*api: replace mode/);
    assert.match(l.hint ?? "", /install the operator/);

    const present = await setup(config, { ...cluster, operator: true });
    const ok = line((await present.doctor()).report, "operator", "ok");
    assert.match(ok.message, /licence and health are not checked/);
  });

  it("an operator present but not needed is said once", async () => {
    const { doctor } = await setup(API, {
      namespaces: { shop: { deployments: ["api"], pods: [READY_API] } },
      operator: true,
    });
    const { report } = await doctor();
    const lines = report.groups.flatMap((g) => g.checks).filter((c) => c.check === "operator");
    assert.equal(lines.length, 1);
    assert.match(lines[0]?.message ?? "", /present, not needed by these services/);
  });
});

describe("doctor: two contexts", () => {
  it("checks each context the services use in its own group; a bad one does not hide the good one", async () => {
    const good = await startFakeKube({ namespaces: { shop: { deployments: ["api"], pods: [READY_API] } } });
    const dir = tempDir();
    const kubeconfig = writeKubeconfig(join(dir, "kubeconfig"), {
      clusters: [{ name: "g", server: good.url, insecure: true }],
      contexts: [{ name: "good", cluster: "g", namespace: "shop" }],
      current: "good",
    });
    writeFileSync(
      join(dir, "mirrord-up.yaml"),
      `services:
  api: {context: good, target: {path: deployment/api}, run: {command: [sh, -c, 'true']}}
  web: {context: gone, target: {path: deployment/web}, run: {command: [sh, -c, 'true']}}
  jobs: {context: good, target: none, run: {command: [sh, -c, 'true']}}
`,
    );
    const env = {
      KUBECONFIG: kubeconfig,
      PATH: process.env.PATH,
      MIRRORD_BIN: STAND_IN,
      MIRRORD_UP_RUNTIME_DIR: join(dir, "run"),
    };
    const r = await runCliCaptured(["doctor", "--format", "json", "-k", "k"], { cwd: dir, env });
    assert.equal(r.code, 1, r.stderr);
    const report = JSON.parse(r.stdout) as Report;
    const titles = report.groups.map((g) => g.title.replace(/\(http:\/\/127\.0\.0\.1:\d+\)/, "(URL)"));
    assert.deepEqual(titles, [
      "this machine",
      'the cluster: context "good" (URL)',
      'the cluster: context "gone"',
      "sessions",
    ]);
    const [, goodGroup, goneGroup] = report.groups;
    assert.ok(
      goodGroup?.checks.every((c) => c.status === "ok"),
      JSON.stringify(goodGroup, null, 1),
    );
    // The targetless service's agent runs in the context's namespace: checked there with api.
    assert.deepEqual(goodGroup?.checks.find((c) => c.check === "permissions")?.services, ["api", "jobs"]);
    assert.equal(goneGroup?.checks[0]?.status, "problem");
    assert.match(goneGroup?.checks[0]?.message ?? "", /unknown kube context "gone" \(from service context\)/);
    assert.deepEqual(goneGroup?.checks[0]?.services, ["web"]);
  });
});

describe("doctor: secrets", () => {
  it("a server URL with credentials in it is shown without them", async () => {
    const dir = tempDir();
    const kubeconfig = writeKubeconfig(join(dir, "kubeconfig"), {
      clusters: [
        { name: "c", server: "http://dev:S3CRETPW@127.0.0.1:1/?access_token=S3CRETQ", insecure: true },
      ],
      contexts: [{ name: "dev", cluster: "c", namespace: "shop" }],
      current: "dev",
    });
    writeFileSync(join(dir, "mirrord-up.yaml"), API);
    const env = {
      KUBECONFIG: kubeconfig,
      PATH: process.env.PATH,
      MIRRORD_BIN: STAND_IN,
      MIRRORD_UP_RUNTIME_DIR: join(dir, "run"),
    };
    for (const format of ["text", "json"]) {
      const r = await runCliCaptured(["doctor", "--format", format, "-k", "k"], { cwd: dir, env });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /http:\/\/127\.0\.0\.1:1/);
      assert.doesNotMatch(r.stdout + r.stderr, /S3CRET|access_token/);
    }
  });
});
