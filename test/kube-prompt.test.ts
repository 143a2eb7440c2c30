/**
 * The not-found fallback on a terminal, through the real prompts: search another namespace, pick
 * a workload, save it back into a commented, templated file without touching anything else.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { inquirerPrompter } from "../src/cli/prompter.js";
import { loadConfig } from "../src/config/load.js";
import { saveTargetToFile } from "../src/config/save-target.js";
import { PromptCancelled } from "../src/core/prompter.js";
import { InferenceAbandoned, inferTargets } from "../src/kube/infer.js";
import { startFakeKube, writeKubeconfig } from "./helpers/kube-fake.js";
import { tempDir } from "./helpers/tmp.js";
import { KEY, Typist } from "./helpers/typist.js";

const FILE = `# yaml-language-server: $schema=./mirrord-up.schema.json
# Our staging services. Keep this comment.
common:
  operator: true   # the operator is installed

services:
  # checkout is deployed under another name
  checkout:
    env:
      override: {SESSION: "{{ key }}", BRANCH: "{{ git_branch | default(value='main') }}"}
    run:
      command: [node, "{{ get_env(name='ENTRY', default='server.js') }}"]
  web: {run: {command: [npm, start]}}   # flow style, untouched
`;

async function setup() {
  const kube = await startFakeKube({
    namespaces: {
      default: { deployments: ["web"] },
      empty: {},
      payments: { deployments: ["checkout-v2", "ledger"] },
    },
  });
  const dir = tempDir();
  const file = join(dir, "mirrord-up.yaml");
  writeFileSync(file, FILE);
  const kubeconfig = writeKubeconfig(join(dir, "kubeconfig"), {
    clusters: [{ name: "c", server: kube.url, insecure: true }],
    contexts: [{ name: "dev", cluster: "c" }],
    current: "dev",
  });
  const typist = new Typist();
  const reported: string[] = [];
  const infer = () =>
    inferTargets([{ service: "checkout", contextSource: "current-context" }], {
      env: { KUBECONFIG: kubeconfig },
      acceptInvalidCertificates: false,
      prompter: inquirerPrompter({ input: typist.input, output: typist.output }),
      file: "mirrord-up.yaml",
      save: (service, target) => {
        saveTargetToFile(file, service, target);
        return undefined;
      },
      report: (line) => reported.push(line),
    });
  return { kube, file, typist, reported, infer };
}

describe("picking a target on a terminal", { timeout: 300_000 }, () => {
  it("searches another namespace, skips an empty one, picks, and saves it back byte for byte", async () => {
    const t = await setup();
    const result = t.infer();
    await t.typist.answer("checkout: what now?", KEY.enter); // Search in a different namespace
    await t.typist.answer("Namespace:", KEY.down + KEY.enter); // default, [empty], payments
    await t.typist.answer("checkout: what now?", KEY.enter);
    await t.typist.answer("Namespace:", KEY.down + KEY.down + KEY.enter); // payments
    await t.typist.answer("checkout: target:", KEY.enter); // deployment/checkout-v2
    // Prompts wrap at 80 columns, so match the start of the question.
    await t.typist.answer('Save target "deployment/checkout-v2" in namespace "payments"', KEY.enter);
    const found = await result;
    assert.deepEqual(found.get("checkout"), { path: "deployment/checkout-v2", namespace: "payments" });
    assert.ok(t.reported.includes('No workloads found in namespace "empty".'));
    assert.match(
      t.reported[0] ?? "",
      /checkout: no workload named "checkout" found in namespace "default" \(context "dev"\)/,
    );

    const saved = readFileSync(t.file, "utf8");
    const inserted = "    target: {path: deployment/checkout-v2, namespace: payments}\n";
    assert.ok(saved.includes(inserted), saved);
    assert.equal(saved.replace(inserted, ""), FILE, "everything but the inserted line is byte-identical");
    // The saved file loads back, templates intact, with the target set.
    const reloaded = loadConfig({ file: t.file, cwd: "/", key: "k", env: {} });
    assert.deepEqual(reloaded.config.services.checkout?.target, {
      path: "deployment/checkout-v2",
      namespace: "payments",
    });
  });

  it("declining to save leaves the file alone", async () => {
    const t = await setup();
    const result = t.infer();
    await t.typist.answer("checkout: what now?", KEY.enter);
    await t.typist.answer("Namespace:", KEY.down + KEY.down + KEY.enter);
    await t.typist.answer("checkout: target:", KEY.down + KEY.enter); // deployment/ledger
    await t.typist.answer("Save target", `n${KEY.enter}`);
    assert.deepEqual((await result).get("checkout"), { path: "deployment/ledger", namespace: "payments" });
    assert.equal(readFileSync(t.file, "utf8"), FILE);
  });

  it("Exit stops without a target", async () => {
    const t = await setup();
    const result = t.infer();
    await t.typist.answer("checkout: what now?", KEY.down + KEY.enter);
    await assert.rejects(result, InferenceAbandoned);
    assert.equal(readFileSync(t.file, "utf8"), FILE);
  });

  it("Ctrl-C in a prompt cancels cleanly", async () => {
    const t = await setup();
    const result = t.infer();
    await t.typist.answer("checkout: what now?", KEY.ctrlC);
    await assert.rejects(result, PromptCancelled);
    assert.equal(readFileSync(t.file, "utf8"), FILE);
  });
});
