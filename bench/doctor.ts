/**
 * `mirrord-up doctor` on a file of 20 services across two kube contexts, each context a small
 * API server on 127.0.0.1 (test/helpers/kube-fake.ts): the wall time of the bin file, spawn to
 * exit, as users run it. The bar is 3 s. Never run by CI.
 *
 *   npm run build && node --import tsx bench/doctor.ts [--reps 5]
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startFakeKube, writeKubeconfig } from "../test/helpers/kube-fake.js";
import { MIRRORD_UP, median, nowMs, STAND_IN_MIRRORD } from "./lib.js";

const args = process.argv.slice(2);
const reps = args.includes("--reps") ? Number(args[args.indexOf("--reps") + 1]) : 5;

const SERVICES = 20;
const names = Array.from({ length: SERVICES }, (_, i) => `svc${i}`);
const cluster = () => ({
  closeAfterTests: false,
  namespaces: {
    shop: {
      deployments: names,
      pods: names.map((n) => ({ name: `${n}-1`, labels: { app: n }, containers: ["main"] })),
    },
  },
});
const [a, b] = await Promise.all([startFakeKube(cluster()), startFakeKube(cluster())]);
const dir = mkdtempSync(join(tmpdir(), "mirrord-up-bench-doctor-"));
try {
  const kubeconfig = writeKubeconfig(join(dir, "kubeconfig"), {
    clusters: [
      { name: "a", server: a.url, insecure: true },
      { name: "b", server: b.url, insecure: true },
    ],
    contexts: [
      { name: "ctx-a", cluster: "a", namespace: "shop" },
      { name: "ctx-b", cluster: "b", namespace: "shop" },
    ],
    current: "ctx-a",
  });
  // Half the services on each context; every one with a target path, a container, a filter.
  const services = names
    .map(
      (n, i) =>
        `  ${n}:\n    context: ctx-${i % 2 === 0 ? "a" : "b"}\n    target: {path: deployment/${n}/container/main}\n` +
        `    http_filter: {header_filter: '^x-user: ${n}$'}\n    run: {command: [sh, -c, 'true']}\n`,
    )
    .join("");
  writeFileSync(join(dir, "mirrord-up.yaml"), `services:\n${services}`);
  const env = {
    ...process.env,
    KUBECONFIG: kubeconfig,
    MIRRORD_BIN: STAND_IN_MIRRORD,
    MIRRORD_UP_RUNTIME_DIR: join(dir, "run"),
  };
  const times: number[] = [];
  for (let rep = 0; rep < reps; rep++) {
    a.requests.length = 0;
    b.requests.length = 0;
    const start = nowMs();
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(process.execPath, [MIRRORD_UP, "doctor", "-k", "bench"], { cwd: dir, env }, (error, out) =>
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout: out }),
      );
    });
    const ms = nowMs() - start;
    times.push(ms);
    const summary = stdout.trim().split("\n").pop();
    console.log(
      `rep ${rep + 1}: ${ms.toFixed(0)} ms, exit ${code}, ${summary}; requests: ${a.requests.length} + ${b.requests.length}`,
    );
    if (code !== 0) console.log(stdout);
  }
  const sorted = [...times].sort((x, y) => x - y);
  console.log(
    `doctor, ${SERVICES} services, 2 contexts: median ${median(times).toFixed(0)} ms (min ${sorted[0]?.toFixed(0)}, max ${sorted[sorted.length - 1]?.toFixed(0)}) over ${reps} runs; the bar is 3000 ms`,
  );
} finally {
  await Promise.all([a.close(), b.close()]);
  rmSync(dir, { recursive: true, force: true });
}
