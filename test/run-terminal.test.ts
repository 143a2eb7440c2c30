/** On a real terminal (test/helpers/terminal.ts): colours, stdin, Ctrl-C, a closed terminal. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { stripVTControlCharacters } from "node:util";
import { BIN } from "./helpers/paths.js";
import { killMarked } from "./helpers/processes.js";
import { onTerminal } from "./helpers/terminal.js";
import { tempDir } from "./helpers/tmp.js";
import { nothingLeft } from "./helpers/up.js";
import { waitUntil } from "./helpers/wait.js";

const ESC = String.fromCharCode(27);

const CONFIG = `services:
  api:
    target: {path: deployment/api}
    run: {command: [bash, -c, 'echo "api stdin is a tty: $([ -t 0 ] && echo yes || echo no)"; sleep 3600 & wait']}
  web:
    run: {type: local, command: [bash, -c, 'cat; echo "web: stdin reached EOF"; sleep 3600']}
`;

describe("on a real terminal", { timeout: 120_000 }, () => {
  it("colours the output, services read EOF on stdin, and Ctrl-C stops everything", async () => {
    const t = onTerminal(CONFIG);
    try {
      await waitUntil(() => t.output().includes("all 2 services ready"), 10_000, `readiness:\n${t.output()}`);
      await waitUntil(() => t.output().includes("web: stdin reached EOF"), 60_000, "web to see EOF on stdin");
      await waitUntil(() => t.output().includes("api stdin is a tty: no"), 60_000, "api's first line");
      assert.ok(t.raw().includes(`${ESC}[36mapi${ESC}[39m`), "service names are coloured on a terminal");
      t.child.stdin.write("\x03");
      assert.equal(await t.exited, 0);
      assert.match(t.output(), /SIGINT, stopping 2 services/);
      assert.match(t.output(), /api +stopped \(killed by SIGTERM\)/);
      await nothingLeft(t.marker);
    } finally {
      killMarked(t.marker);
    }
  });

  it("pressing Ctrl-C twice kills a service that ignores SIGTERM at once", async () => {
    const t = onTerminal(
      `services:\n  stubborn:\n    run: {type: local, command: [bash, -c, 'trap "" TERM; echo up; sleep 3600 & wait']}\n`,
    );
    try {
      await waitUntil(() => t.output().includes("stubborn | up"), 10_000, "the service to start");
      t.child.stdin.write("\x03");
      await waitUntil(() => t.output().includes("press Ctrl-C again to force"), 60_000, "the first Ctrl-C");
      t.child.stdin.write("\x03");
      assert.equal(await t.exited, 0);
      assert.match(t.output(), /killing every service now/);
      await nothingLeft(t.marker);
    } finally {
      killMarked(t.marker);
    }
  });
});

describe("target inference on a real terminal", { timeout: 60_000 }, () => {
  async function inPty(args: string) {
    const { startFakeKube, writeKubeconfig } = await import("./helpers/kube-fake.js");
    const kube = await startFakeKube({ namespaces: { default: { deployments: ["other"] } } });
    const dir = tempDir();
    writeFileSync(join(dir, "mirrord-up.yaml"), "services:\n  api:\n    run: {command: [x]}\n");
    const kubeconfig = writeKubeconfig(join(dir, "kc"), {
      clusters: [{ name: "c", server: kube.url, insecure: true }],
      contexts: [{ name: "dev", cluster: "c" }],
      current: "dev",
    });
    const child = spawn(
      "script",
      ["-qefc", `exec ${process.execPath} ${BIN} config -k k ${args}`, "/dev/null"],
      {
        cwd: dir,
        env: { PATH: process.env.PATH, TERM: "xterm", KUBECONFIG: kubeconfig },
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += stripVTControlCharacters(c.toString());
    });
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    return { child, exited, output: () => out };
  }

  it("not found: asks what to do instead of failing", async () => {
    const t = await inPty("");
    await waitUntil(() => t.output().includes("api: what now?"), 10_000, `the prompt:\n${t.output()}`);
    assert.match(t.output(), /Search in a different namespace/);
    t.child.stdin.write("\x1b[B\r"); // Exit
    assert.equal(await t.exited, 2);
    assert.match(t.output(), /stopped: no target chosen for api; nothing was started/);
  });

  it("--no-interactive fails with the located error even on a terminal", async () => {
    const t = await inPty("--no-interactive");
    assert.equal(await t.exited, 2);
    assert.doesNotMatch(t.output(), /what now\?/);
    assert.match(
      t.output(),
      /no deployment, statefulset, rollout or pod named "api" in namespace "default" \(context "dev"\)/,
    );
  });
});
