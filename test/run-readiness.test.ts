/** What a session is doing, told in words: mirrord's progress, readiness, the banner, failures. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runUp, startUp } from "./helpers/up.js";

describe("readiness and progress", { timeout: 120_000 }, () => {
  it("mirrord's JSON progress is shown as words, never as raw JSON, and readiness with its time", async () => {
    const run = startUp(
      `services:\n  api:\n    target: {path: deployment/api}\n    env: {override: {FAKE_MIRRORD_WARNING: "multi-pod deployment: only the first pod"}}\n    run: {command: [sleep, "3600"]}\n`,
    );
    await run.waitForOutput("1 session ready");
    run.child.kill("SIGINT");
    await run.exited;
    const out = run.stdout().toString();
    assert.doesNotMatch(out, /\{"type":/);
    assert.match(out, /api ▸ mirrord: preparing to launch process/);
    assert.match(out, /api ▸ mirrord warning: multi-pod deployment: only the first pod/);
    assert.match(out, /api ▸ ready in \d+(ms|\.\d+s)/);
  });

  it("a bare Ready! line (simple progress mode) is recognised too", async () => {
    const run = startUp(
      `services:\n  api:\n    target: {path: deployment/api}\n    run: {command: [sleep, "3600"]}\n`,
      {
        env: { FAKE_MIRRORD_PROGRESS: "simple" },
      },
    );
    await run.waitForOutput("1 session ready");
    run.child.kill("SIGINT");
    await run.exited;
    assert.match(run.stdout().toString(), /api \| ready to launch process\napi ▸ ready in/);
  });

  it("the banner gives the header and a ready-to-paste curl when the session filter is used", async () => {
    const run = startUp(
      `services:\n  a:\n    target: {path: deployment/a}\n    run: {command: [sleep, "3600"]}\n  b:\n    target: {path: deployment/b}\n    http_filter: {path_filter: "^/b"}\n    run: {command: [sleep, "3600"]}\n`,
      { args: ["-k", "o'neil"] },
    );
    await run.waitForOutput("all 2 sessions ready");
    run.child.kill("SIGINT");
    await run.exited;
    const out = run.stdout().toString();
    assert.match(out, /mirrord-up: all 2 sessions ready in \d/);
    assert.match(out, /send requests with the header {2}baggage: mirrord-session=o'neil\n/);
    assert.ok(out.includes(`curl -H 'baggage: mirrord-session=o'\\''neil' http://<service>/`), out);
  });

  it("no header hint when every service uses its own filter", async () => {
    const run = startUp(
      `services:\n  b:\n    target: {path: deployment/b}\n    http_filter: {path_filter: "^/b"}\n    run: {command: [sleep, "3600"]}\n`,
    );
    await run.waitForOutput("1 session ready");
    run.child.kill("SIGINT");
    await run.exited;
    assert.doesNotMatch(run.stdout().toString(), /baggage/);
  });

  it("a session that fails before it is ready is reported with mirrord's own error text", async () => {
    const { code, stdout } = await runUp(
      `services:\n  api:\n    target: {path: deployment/api}\n    env: {override: {FAKE_MIRRORD_FAIL: "target deployment/api not found in namespace default"}}\n    run: {command: [sleep, "3600"]}\n  web:\n    run: {type: local, command: [sleep, "3600"]}\n`,
    );
    assert.equal(code, 1);
    assert.match(
      stdout,
      /api ▸ exited with code 1 before the session was ready: preparing to launch process: target deployment\/api not found in namespace default/,
    );
    assert.doesNotMatch(stdout, /mirrord-up: (all )?\d+ (session|service)s? ready/);
  });

  it("a failure with only stderr text (no structured progress) still shows mirrord's words", async () => {
    const { code, stdout } = await runUp(
      `services:\n  api:\n    target: {path: deployment/api}\n    env: {override: {FAKE_MIRRORD_FAIL: "operator license expired"}}\n    run: {command: [sleep, "3600"]}\n`,
      { env: { FAKE_MIRRORD_PROGRESS: "off" } },
    );
    assert.equal(code, 1);
    assert.match(
      stdout,
      /api ▸ exited with code 1 before the session was ready: Error: {3}× operator license expired/,
    );
  });

  it("runs mirrord exec|container -f <private file> --key K [--context C] -- command, progress in JSON", async () => {
    const run = startUp(
      `common: {context: staging}\nservices:\n  api:\n    target: {path: deployment/api}\n    run: {command: [sleep, "3600"]}\n  box:\n    context: other\n    target: {path: deployment/box}\n    run: {type: container, command: [sleep, "3600"]}\n`,
      { args: ["-k", "alice"] },
    );
    await run.waitForOutput("all 2 sessions ready");
    const log = run.mirrordLog().sort((a, b) => a.sub.localeCompare(b.sub));
    run.child.kill("SIGINT");
    await run.exited;
    assert.equal(log.length, 2);
    const [box, api] = [log.find((r) => r.sub === "container")!, log.find((r) => r.sub === "exec")!];
    assert.deepEqual(api.argv, [
      "-f",
      api.file,
      "--key",
      "alice",
      "--context",
      "staging",
      "--",
      "sleep",
      "3600",
    ]);
    assert.deepEqual(box.argv, [
      "-f",
      box.file,
      "--key",
      "alice",
      "--context",
      "other",
      "--",
      "sleep",
      "3600",
    ]);
    assert.match(api.file, /\/mirrord-up-[^/]+\/api\.json$/);
    for (const r of log) {
      assert.equal(r.fileMode, 0o600);
      assert.equal(r.dirMode, 0o700);
      assert.equal(r.progressMode, "json");
      assert.equal(r.config.key, "alice");
    }
  });

  it("env overrides reach the application, through mirrord and for local services", async () => {
    const { stdout } = await runUp(
      `services:\n  m:\n    target: {path: deployment/m}\n    env: {override: {GREETING: from-mirrord}}\n    run: {command: [bash, -c, 'echo "m=$GREETING"']}\n  l:\n    env: {override: {GREETING: from-local}}\n    run: {type: local, command: [bash, -c, 'echo "l=$GREETING"']}\n`,
      { args: ["--keep-going"] },
    );
    assert.match(stdout, /m \| m=from-mirrord/);
    assert.match(stdout, /l \| l=from-local/);
  });

  it("secrets in env are never echoed in status lines", async () => {
    const { stdout, stderr } = await runUp(
      `services:\n  m:\n    target: {path: deployment/m}\n    env: {override: {DB_PASSWORD: hunter2-secret}}\n    run: {command: ["true"]}\n`,
    );
    assert.doesNotMatch(stdout + stderr, /hunter2-secret/);
  });
});
