/**
 * No credential reaches a message: kubeconfigs and credential plugins carrying marker strings,
 * read for real (files, a plugin script, HTTP), and the markers looked for in everything printed.
 */
import assert from "node:assert/strict";
import { chmodSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { redactUrl, redactUrls } from "../src/kube/errors.js";
import { runCliCaptured } from "./helpers/cli.js";
import { startFakeKube } from "./helpers/kube-fake.js";
import { tempDir } from "./helpers/tmp.js";

const CONFIG = "services:\n  api:\n    run: {command: [x]}\n";

/** A directory with mirrord-up.yaml and the given kubeconfig text; runs `config` against it. */
async function configWith(kubeconfig: string, files: Record<string, string> = {}) {
  const dir = tempDir();
  writeFileSync(join(dir, "mirrord-up.yaml"), CONFIG);
  writeFileSync(join(dir, "kubeconfig"), kubeconfig);
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, name), text);
    chmodSync(join(dir, name), 0o755);
  }
  const env = { KUBECONFIG: join(dir, "kubeconfig"), MIRRORD_UP_KUBE_TIMEOUT: "5", PATH: process.env.PATH };
  const r = await runCliCaptured(["config", "--format", "json", "-k", "k"], { cwd: dir, env });
  return { ...r, dir, all: r.stdout + r.stderr };
}

function kubeconfigText(server: string, user: string): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "${server}"}
users:
- name: dev
  user:
${user}
contexts:
- name: dev
  context: {cluster: c, user: dev, namespace: shop}
current-context: dev
`;
}

describe("credentials never reach a message", { timeout: 60_000 }, () => {
  it("a kubeconfig YAML syntax error names file and line, and quotes none of it", async () => {
    const text = `apiVersion: v1
kind: Config
users:
- name: dev
  user:
    token: SECRET-TOKEN-MARKER
    client-key-data: SECRET-KEY-MARKER
      broken: [indentation
clusters: []
`;
    const r = await configWith(text);
    assert.equal(r.code, 2, r.all);
    assert.match(r.stderr, /cannot read kubeconfig .*kubeconfig:\d+(:\d+)?: YAML syntax error/);
    assert.doesNotMatch(r.all, /SECRET|MARKER|client-key-data|token:/);
    assert.doesNotMatch(r.all, /internal error/);
  });

  it("a credential plugin that prints something other than JSON: named, its output never shown", async () => {
    const kube = await startFakeKube({ namespaces: { shop: { deployments: ["api"] } }, token: "t" });
    const plugin = "#!/bin/sh\necho 'SECRET-PLUGIN-OUTPUT-MARKER is not json'\n";
    const dir = tempDir();
    const user = `    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: ${join(dir, "get-token")}\n      interactiveMode: Never`;
    writeFileSync(join(dir, "get-token"), plugin);
    chmodSync(join(dir, "get-token"), 0o755);
    const r = await configWith(kubeconfigText(kube.url, user));
    assert.equal(r.code, 2, r.all);
    assert.match(r.stderr, /credential plugin `get-token`.*not an ExecCredential/);
    assert.doesNotMatch(r.all, /SECRET|MARKER/);
  });

  it("a credential plugin that fails: named, its error output never shown", async () => {
    const kube = await startFakeKube({ namespaces: { shop: { deployments: ["api"] } }, token: "t" });
    const dir = tempDir();
    writeFileSync(join(dir, "get-token"), "#!/bin/sh\necho 'token=SECRET-STDERR-MARKER' >&2\nexit 3\n");
    chmodSync(join(dir, "get-token"), 0o755);
    const user = `    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: ${join(dir, "get-token")}\n      interactiveMode: Never`;
    const r = await configWith(kubeconfigText(kube.url, user));
    assert.equal(r.code, 2, r.all);
    assert.match(r.stderr, /credential plugin `get-token`.* failed/);
    assert.doesNotMatch(r.all, /SECRET|MARKER/);
  });

  it("a server URL is printed without user info, query or fragment", async () => {
    const server =
      "https://user:SECRET-PASSWORD-MARKER@127.0.0.1:1/?token=SECRET-QUERY-MARKER#SECRET-FRAGMENT";
    const r = await configWith(kubeconfigText(server, "    token: SECRET-TOKEN-MARKER"));
    assert.equal(r.code, 2, r.all);
    assert.match(r.stderr, /cannot reach the API server \(context "dev", server https:\/\/127\.0\.0\.1:1\)/);
    assert.doesNotMatch(r.all, /SECRET|MARKER|user:|token=/);
  });

  it("the sanitizer drops user info, query and fragment, also from URLs inside text", () => {
    assert.equal(redactUrl("https://u:p@h.example:6443/k8s/?token=x#y"), "https://h.example:6443/k8s");
    assert.equal(redactUrl("not a url //u:p@host/x?token=y"), "not a url //host/x");
    assert.equal(
      redactUrls("request to https://a:b@h/api?access_token=s failed, reason: x"),
      "request to https://h/api failed, reason: x",
    );
  });
});
