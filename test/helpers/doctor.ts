/** Running `doctor` against the small API server: one cluster, one context, one file. */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runCliCaptured } from "./cli.js";
import { type FakeKubeOptions, startFakeKube, writeKubeconfig } from "./kube-fake.js";
import { REPO_ROOT } from "./paths.js";
import { tempDir } from "./tmp.js";

export const STAND_IN = join(REPO_ROOT, "examples", "mirrord-stand-in", "mirrord");

export interface Line {
  check: string;
  status: "ok" | "warning" | "problem";
  message: string;
  hint?: string;
  services?: string[];
}

export interface Report {
  groups: { title: string; context?: string; checks: Line[] }[];
  problems: number;
  warnings: number;
}

export const READY_API = { name: "api-7d9", labels: { app: "api" }, containers: ["main", "istio-proxy"] };

/** One cluster (context `dev`, default namespace `shop`) and a file; runs `doctor --format json`. */
export async function setup(
  config: string,
  cluster: FakeKubeOptions,
  context: { token?: string } = {},
  extraEnv: NodeJS.ProcessEnv = {},
) {
  const kube = await startFakeKube(cluster);
  const dir = tempDir();
  writeFileSync(join(dir, "mirrord-up.yaml"), config);
  const kubeconfig = writeKubeconfig(join(dir, "kubeconfig"), {
    clusters: [{ name: "c", server: kube.url, insecure: true }],
    users: [{ name: "dev", token: context.token ?? cluster.token }],
    contexts: [{ name: "dev", cluster: "c", namespace: "shop" }],
    current: "dev",
  });
  const env = {
    KUBECONFIG: kubeconfig,
    PATH: process.env.PATH,
    MIRRORD_BIN: STAND_IN,
    HOME: dir,
    MIRRORD_UP_RUNTIME_DIR: join(dir, "run"),
    ...extraEnv,
  };
  const doctor = async (...args: string[]) => {
    const r = await runCliCaptured(["doctor", "--format", "json", "-k", "k", ...args], { cwd: dir, env });
    assert.ok(r.code === 0 || r.code === 1, `exit ${r.code}: ${r.stderr}`);
    const report = JSON.parse(r.stdout) as Report;
    // Every problem says what to do.
    for (const c of report.groups.flatMap((g) => g.checks)) {
      if (c.status === "problem") assert.ok(c.hint, `a problem without a hint: ${JSON.stringify(c)}`);
    }
    return { ...r, report };
  };
  return { kube, dir, env, doctor };
}

export function line(report: Report, check: string, status?: Line["status"]): Line {
  const all = report.groups.flatMap((g) => g.checks).filter((c) => c.check === check);
  const found = status ? all.find((c) => c.status === status) : all[0];
  assert.ok(found, `no ${status ?? ""} ${check} line in ${JSON.stringify(report, null, 1)}`);
  return found;
}
