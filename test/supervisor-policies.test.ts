/**
 * The supervisor's policies in-process: fake sessions, a fake stopper, a clock the test
 * advances (a 30 s back-off takes no time) and a file it edits between reloads. What needs real processes (stopping groups, the
 * signals, the banner on a terminal) is tested end to end in test/run-*.test.ts.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { serviceStatus } from "../src/run/run-control.js";
import { dependencyVerdict, gate, psState, ServiceSlot } from "../src/run/service-state.js";
import { FakeClock, FakeSession, plan, supervised } from "./helpers/supervised.js";

const psOf = (s: ReturnType<typeof supervised>, name: string) =>
  s.supervisor.services().find((slot) => slot.plan.name === name);

describe("one state: ps and depends_on", () => {
  test("ps and depends_on read the same state value", () => {
    const db = new ServiceSlot(plan("db", { restart: { kind: "always" } }));
    const api = new ServiceSlot(plan("api", { dependsOn: [["db", "service_ready"]] }));
    const slotOf = (name: string) => (name === "db" ? db : undefined);
    const session = new FakeSession(db.plan, { onReady() {}, onEnd() {} }, new FakeClock());
    session.start();
    db.session = session;
    session.exit(1);
    const ready = api.plan.lifecycle.dependsOn[0];
    assert.ok(ready);

    // Its restart policy waits out a back-off: ps says restarting, the dependent waits.
    db.phase = { kind: "backoff", attempt: 1, timer: undefined };
    assert.equal(psState(db), "restarting");
    assert.equal(dependencyVerdict(ready, db), false);
    assert.deepEqual(gate(api, slotOf), { go: false, pending: [ready] });

    // The same one value changed (the back-off was cut): ps says failed, the dependent never starts.
    db.phase = { kind: "started" };
    assert.equal(psState(db), "failed");
    assert.equal(dependencyVerdict(ready, db), "db exited with code 1");
    assert.deepEqual(gate(api, slotOf), { go: false, blocked: "db exited with code 1", pending: [] });

    // Stopped by request: ps says stopped, the dependent waits for a `start`.
    db.phase = { kind: "stopping", intent: "stop" };
    assert.equal(psState(db), "stopped");
    assert.equal(dependencyVerdict(ready, db), false);
  });

  test("a dependency becoming ready shows in ps and starts its dependent in the same step", async () => {
    const s = supervised([plan("api", { dependsOn: [["db", "service_ready"]] }), plan("db")]);
    const ran = s.supervisor.run();
    const state = (name: string) => serviceStatus(psOf(s, name) as ServiceSlot).state;
    assert.equal(state("db"), "starting");
    assert.equal(state("api"), "waiting");
    assert.deepEqual(s.lines("api"), ["waiting for db (ready)"]);
    s.session("db").ready();
    assert.equal(state("db"), "running");
    assert.equal(state("api"), "starting");
    s.supervisor.shutdown();
    assert.equal(await ran, 0);
  });
});

describe("restart back-off", () => {
  test("a failing service is started again after 1 s, then 2 s, and ps says restarting meanwhile", async () => {
    const s = supervised([plan("api", { restart: { kind: "on-failure" } })]);
    const ran = s.supervisor.run();
    s.session("api").exit(1);
    assert.ok(s.lines("api").includes("restarting in 1s (on-failure, attempt 1)"));
    assert.equal(serviceStatus(psOf(s, "api") as ServiceSlot).state, "restarting");
    s.clock.advance(999);
    assert.equal(s.sessions.length, 1);
    s.clock.advance(1);
    assert.equal(s.sessions.length, 2);
    assert.equal(psOf(s, "api")?.restarts, 1);
    s.session("api").exit(1);
    assert.ok(s.lines("api").includes("restarting in 2s (on-failure, attempt 2)"));
    s.clock.advance(1999);
    assert.equal(s.sessions.length, 2);
    s.clock.advance(1);
    assert.equal(s.sessions.length, 3);
    s.supervisor.shutdown();
    assert.equal(await ran, 0);
  });

  test("on-failure:N gives up after N restarts and the failure ends the run", async () => {
    const s = supervised([plan("api", { restart: { kind: "on-failure", maxRetries: 1 } })]);
    const ran = s.supervisor.run();
    s.session("api").exit(3);
    s.clock.advance(1000);
    s.session("api").exit(3);
    assert.equal(s.clock.pending, 0);
    assert.equal(await ran, 3);
    assert.equal(s.sessions.length, 2);
  });

  test("stop then start of a service starts its back-off afresh: the next failure waits 1 s", async () => {
    const s = supervised([plan("api", { restart: { kind: "on-failure" } })]);
    const ran = s.supervisor.run();
    // Four failures in a row: the fourth waits 8 s.
    for (const wait of [1000, 2000, 4000]) {
      s.session("api").exit(1);
      s.clock.advance(wait);
    }
    s.session("api").exit(1);
    assert.equal(s.lines("api").at(-1), "restarting in 8s (on-failure, attempt 4)");
    await s.supervisor.stop(["api"]);
    assert.equal(s.clock.pending, 0);
    await s.supervisor.start(["api"]);
    assert.equal(s.sessions.length, 5);
    s.session("api").exit(1);
    assert.equal(s.lines("api").at(-1), "restarting in 1s (on-failure, attempt 1)");
    s.clock.advance(999);
    assert.equal(s.sessions.length, 5);
    s.clock.advance(1);
    assert.equal(s.sessions.length, 6);
    s.supervisor.shutdown();
    assert.equal(await ran, 0);
  });

  test("a start after the policy gave up starts the count afresh", async () => {
    const s = supervised([plan("api", { restart: { kind: "on-failure", maxRetries: 1 } }), plan("db")], {
      keepGoing: true,
    });
    const ran = s.supervisor.run();
    s.session("api").exit(1);
    s.clock.advance(1000);
    s.session("api").exit(1);
    assert.equal(s.clock.pending, 0, "on-failure:1 gave up");
    await s.supervisor.start(["api"]);
    s.session("api").exit(1);
    assert.equal(s.lines("api").at(-1), "restarting in 1s (on-failure, attempt 1 of 1)");
    s.supervisor.shutdown();
    assert.equal(await ran, 1);
  });

  test("a restart on request during a back-off starts the count afresh; its line names the new pid alone", async () => {
    const s = supervised([plan("api", { restart: { kind: "on-failure" } })]);
    const ran = s.supervisor.run();
    s.session("api").exit(1);
    s.clock.advance(1000);
    s.session("api").exit(1);
    assert.equal(s.lines("api").at(-1), "restarting in 2s (on-failure, attempt 2)");
    await s.supervisor.restart(["api"]);
    assert.equal(s.clock.pending, 0, "the back-off wait was cancelled");
    const api = s.session("api");
    assert.equal(s.lines("api").at(-1), `restarted by request (pid ${api.pid})`);
    api.exit(1);
    assert.equal(s.lines("api").at(-1), "restarting in 1s (on-failure, attempt 1)");
    s.supervisor.shutdown();
    assert.equal(await ran, 0);
  });

  test("a run stopped during a back-off starts nothing more", async () => {
    const s = supervised([plan("api", { restart: { kind: "always" } })]);
    const ran = s.supervisor.run();
    s.session("api").exit(0);
    assert.equal(s.clock.pending, 1);
    s.supervisor.shutdown();
    assert.equal(await ran, 0);
    assert.equal(s.clock.pending, 0);
    assert.equal(s.sessions.length, 1);
  });
});

describe("dependency gating", () => {
  test("a dependent waits for its job and starts once the job succeeded", async () => {
    const s = supervised([
      plan("api", { dependsOn: [["migrate", "service_completed_successfully"]] }),
      plan("migrate"),
    ]);
    const ran = s.supervisor.run();
    assert.deepEqual(
      s.sessions.map((x) => x.name),
      ["migrate"],
    );
    s.session("migrate").exit(0);
    assert.deepEqual(
      s.sessions.map((x) => x.name),
      ["migrate", "api"],
    );
    s.supervisor.shutdown();
    assert.equal(await ran, 0);
  });

  test("a failed dependency leaves its dependent not started, and the run fails", async () => {
    const s = supervised([plan("api", { dependsOn: [["db", "service_ready"]] }), plan("db")]);
    const ran = s.supervisor.run();
    s.session("db").exit(1);
    assert.equal(await ran, 1);
    assert.ok(s.lines("api").includes("not started: db exited with code 1"));
    assert.deepEqual(
      s.sessions.map((x) => x.name),
      ["db"],
    );
    assert.equal(serviceStatus(psOf(s, "api") as ServiceSlot).state, "stopped");
  });
});

describe("keep-going", () => {
  test("without it, the first failure stops the others", async () => {
    const s = supervised([plan("a"), plan("b")]);
    const ran = s.supervisor.run();
    s.session("a").exit(2);
    assert.equal(await ran, 2);
    assert.deepEqual(s.session("b").signals, ["SIGTERM"]);
  });

  test("with it, the others run on; the run ends when none is left, with the first failure's status", async () => {
    const s = supervised([plan("a"), plan("b")], { keepGoing: true });
    const ran = s.supervisor.run();
    s.session("a").exit(2);
    // The run is not stopping: the failed one can be started again.
    const again = await s.supervisor.start(["a"]);
    assert.ok(again.ok);
    assert.match(again.messages.join(), /^a: started \(pid \d+\)$/);
    s.session("a").exit(0);
    s.session("b").exit(0);
    assert.equal(await ran, 2);
    assert.deepEqual(s.session("b").signals, []);
  });
});

describe("banner", () => {
  const banners = (s: ReturnType<typeof supervised>) =>
    s.written.filter((w) => / ready in /.test(w.text) && w.service === undefined).map((w) => w.text);

  test("once, when every running session is ready, with the time it took", async () => {
    const s = supervised([plan("a"), plan("b")]);
    const ran = s.supervisor.run();
    s.clock.advance(1500);
    s.session("a").ready();
    assert.deepEqual(banners(s), []);
    s.session("b").ready();
    assert.deepEqual(banners(s), ["mirrord-up: all 2 services ready in 1.5s"]);
    s.session("a").ready();
    assert.equal(banners(s).length, 1);
    s.supervisor.shutdown();
    await ran;
  });

  test("not while a service waits out its back-off", async () => {
    const s = supervised([plan("a", { restart: { kind: "always" } }), plan("b")], { keepGoing: true });
    const ran = s.supervisor.run();
    s.session("a").exit(1);
    s.session("b").ready();
    assert.deepEqual(banners(s), []);
    s.clock.advance(1000);
    s.session("a").ready();
    assert.equal(banners(s).length, 1);
    s.supervisor.shutdown();
    await ran;
  });
});

describe("status lines", () => {
  const startLines = (s: ReturnType<typeof supervised>, name: string) =>
    s.lines(name).filter((line) => /^(re)?started\b/.test(line));

  test("one start line per start, saying why: the run's own, by request, added by a reload", async () => {
    const s = supervised([plan("a"), plan("b", { readyWhen: { kind: "port", port: 8080 } })], {
      keepGoing: true,
    });
    const ran = s.supervisor.run();
    const b1 = s.session("b");
    assert.deepEqual(startLines(s, "a"), [`started (pid ${s.session("a").pid})`]);
    assert.deepEqual(startLines(s, "b"), [`started (pid ${b1.pid}), waiting for port 8080`]);
    await s.supervisor.stop(["b"]);
    await s.supervisor.start(["b"]);
    assert.deepEqual(startLines(s, "b"), [
      `started (pid ${b1.pid}), waiting for port 8080`,
      `started by request (pid ${s.session("b").pid}), waiting for port 8080`,
    ]);
    s.file.plans = [...s.file.plans, plan("c")];
    await s.supervisor.reload();
    assert.deepEqual(startLines(s, "c"), [`started: added to the file (pid ${s.session("c").pid})`]);
    s.supervisor.shutdown();
    assert.equal(await ran, 0);
  });

  test("a mirrord session started with the run has no start line (mirrord's progress says it); a restart has", async () => {
    const s = supervised([plan("api", { type: "exec" })]);
    const ran = s.supervisor.run();
    const old = s.session("api");
    assert.deepEqual(startLines(s, "api"), []);
    await s.supervisor.restart(["api"]);
    assert.deepEqual(startLines(s, "api"), [
      `restarted by request (pid ${old.pid} → ${s.session("api").pid})`,
    ]);
    s.supervisor.shutdown();
    assert.equal(await ran, 0);
  });

  test("a restart by the policy names the attempt and both pids", async () => {
    const s = supervised([plan("api", { restart: { kind: "always" } })]);
    const ran = s.supervisor.run();
    const old = s.session("api");
    old.exit(0);
    s.clock.advance(1000);
    assert.equal(
      s.lines("api").at(-1),
      `restarted (always, attempt 1, pid ${old.pid} → ${s.session("api").pid})`,
    );
    s.supervisor.shutdown();
    assert.equal(await ran, 0);
  });

  test("a stop counts services when a local one is among them, sessions when all are mirrord's", async () => {
    for (const [types, said] of [
      [["exec", "local"], "stopping 2 services"],
      [["exec", "exec"], "stopping 2 sessions"],
      [["exec"], "stopping 1 session"],
    ] as const) {
      const s = supervised(types.map((type, i) => plan(`s${i}`, { type })));
      const ran = s.supervisor.run();
      s.supervisor.shutdown();
      await ran;
      assert.ok(
        s.written.some((w) => w.text.startsWith(`mirrord-up: stop requested, ${said} (`)),
        JSON.stringify(s.written),
      );
    }
  });
});

describe("reload decisions", () => {
  const names = (s: ReturnType<typeof supervised>) => s.supervisor.services().map((slot) => slot.plan.name);
  const state = (s: ReturnType<typeof supervised>, name: string) =>
    serviceStatus(psOf(s, name) as ServiceSlot).state;
  const reloadNotices = (s: ReturnType<typeof supervised>) =>
    s.written.filter((w) => w.service === undefined && w.text.startsWith("mirrord-up: reload:"));

  const processChanges = [
    ["command", plan("api", { command: ["node", "server.js"] })],
    ["environment", plan("api", { env: { PORT: "8081" } })],
    ["env file's variables", plan("api", { envFile: { TOKEN: "b" } })],
  ] as const;
  for (const [what, changed] of processChanges) {
    test(`a running service whose ${what} changed is restarted with its new plan, the others are not`, async () => {
      const s = supervised([plan("api", { envFile: { TOKEN: "a" } }), plan("db")]);
      const ran = s.supervisor.run();
      const [oldApi, db] = [s.session("api"), s.session("db")];
      s.file.plans = [changed, plan("db")];
      const result = await s.supervisor.reload();
      const api = s.session("api");
      assert.notEqual(api, oldApi);
      assert.equal(api.plan, changed);
      assert.deepEqual(oldApi.signals, ["SIGTERM"]);
      assert.equal(s.session("db"), db);
      assert.deepEqual(db.signals, []);
      assert.deepEqual(result, { ok: true, messages: [`api: restarted (pid ${api.pid})`] });
      assert.deepEqual(
        reloadNotices(s).map((w) => w.text),
        [`mirrord-up: reload: api: restarted (pid ${api.pid})`],
      );
      assert.ok(s.lines("api").includes(`restarted by reload (pid ${oldApi.pid} → ${api.pid})`));
      assert.equal(psOf(s, "api")?.restarts, 1);
      s.supervisor.shutdown();
      assert.equal(await ran, 0);
    });
  }

  test("a running service whose lifecycle alone changed is not restarted; its next end follows the new policy", async () => {
    const s = supervised([plan("api"), plan("db")]);
    const ran = s.supervisor.run();
    const api = s.session("api");
    const next = plan("api", { restart: { kind: "on-failure" }, dependsOn: [["db", "service_ready"]] });
    s.file.plans = [next, plan("db")];
    const applied = [
      "api: restart changed, applies when it next ends",
      "api: depends_on changed, applies from its next start",
    ];
    assert.deepEqual(await s.supervisor.reload(), { ok: true, messages: applied });
    assert.deepEqual(
      reloadNotices(s).map((w) => w.text),
      [`mirrord-up: reload: ${applied.join("; ")}`],
    );
    assert.equal(s.sessions.length, 2);
    assert.deepEqual(api.signals, []);
    assert.equal(psOf(s, "api")?.plan, next);
    // Under the old policy ("no") this exit would end the run.
    api.exit(1);
    assert.ok(s.lines("api").includes("restarting in 1s (on-failure, attempt 1)"));
    s.clock.advance(1000);
    assert.notEqual(s.session("api"), api);
    assert.equal(s.session("api").plan, next);
    s.supervisor.shutdown();
    assert.equal(await ran, 0);
  });

  test("a reload that changes only lifecycle settings says what it applied, and when each takes effect", async () => {
    const s = supervised([plan("api")]);
    const ran = s.supervisor.run();
    s.file.plans = [
      plan("api", { restart: { kind: "always" }, oneShot: true, readyWhen: { kind: "port", port: 8080 } }),
    ];
    assert.deepEqual(await s.supervisor.reload(), {
      ok: true,
      messages: [
        "api: restart and one_shot changed, apply when it next ends",
        "api: ready_when changed, applies from its next start",
      ],
    });
    assert.equal(s.sessions.length, 1);
    s.supervisor.shutdown();
    assert.equal(await ran, 0);
  });

  test("a waiting service whose depends_on no longer holds it back starts", async () => {
    const s = supervised([plan("api", { dependsOn: [["db", "service_ready"]] }), plan("db")]);
    const ran = s.supervisor.run();
    assert.equal(state(s, "api"), "waiting");
    s.file.plans = [plan("api"), plan("db")];
    assert.deepEqual(await s.supervisor.reload(), {
      ok: true,
      messages: ["api: depends_on changed, applies now"],
    });
    assert.equal(state(s, "api"), "starting");
    s.supervisor.shutdown();
    assert.equal(await ran, 0);
  });

  test("a service stopped by request or failed is not started by a reload, though its plan changed", async () => {
    const s = supervised([plan("a"), plan("b"), plan("c")], { keepGoing: true });
    const ran = s.supervisor.run();
    await s.supervisor.stop(["a"]);
    s.session("b").exit(1);
    const a = plan("a", { command: ["a", "v2"] });
    s.file.plans = [a, plan("b", { command: ["b", "v2"], restart: { kind: "always" } }), plan("c")];
    assert.deepEqual(await s.supervisor.reload(), {
      ok: true,
      messages: ["a: changed, applies from its next start", "b: changed, applies from its next start"],
    });
    assert.equal(s.sessions.length, 3);
    assert.equal(state(s, "a"), "stopped");
    assert.equal(state(s, "b"), "failed");
    // Its next start uses the new plan.
    await s.supervisor.start(["a"]);
    assert.equal(s.session("a").plan, a);
    s.supervisor.shutdown();
    assert.equal(await ran, 1);
  });

  test("a removed running service is stopped and leaves ps", async () => {
    const s = supervised([plan("a"), plan("b")]);
    const ran = s.supervisor.run();
    const [a, b] = [s.session("a"), s.session("b")];
    s.file.plans = [plan("a")];
    assert.deepEqual(await s.supervisor.reload(), { ok: true, messages: ["b: stopped (removed)"] });
    assert.deepEqual(b.signals, ["SIGTERM"]);
    assert.deepEqual(a.signals, []);
    assert.deepEqual(names(s), ["a"]);
    assert.ok(s.events.events().some((e) => e.service === "b" && e.kind === "removed" && e.by === "reload"));
    s.supervisor.shutdown();
    assert.equal(await ran, 0);
  });

  test("a removed service that was not running is dropped without a stop, and the answer says so", async () => {
    const s = supervised([plan("a"), plan("b")]);
    const ran = s.supervisor.run();
    await s.supervisor.stop(["b"]);
    const stops = s.stopper.stops.length;
    s.file.plans = [plan("a")];
    assert.deepEqual(await s.supervisor.reload(), { ok: true, messages: ["b: removed"] });
    assert.deepEqual(names(s), ["a"]);
    assert.deepEqual(s.stopper.stops.slice(stops).flat(), []);
    assert.deepEqual(s.session("b").signals, ["SIGTERM"]);
    s.supervisor.shutdown();
    assert.equal(await ran, 0);
  });

  test("a removed service waiting out its back-off is not started again", async () => {
    const s = supervised([plan("a"), plan("b", { restart: { kind: "always" } })]);
    const ran = s.supervisor.run();
    s.session("b").exit(1);
    assert.equal(s.clock.pending, 1);
    s.file.plans = [plan("a")];
    assert.deepEqual(await s.supervisor.reload(), { ok: true, messages: ["b: stopped (removed)"] });
    assert.equal(s.clock.pending, 0);
    s.clock.advance(60_000);
    assert.equal(s.sessions.length, 2);
    assert.deepEqual(names(s), ["a"]);
    s.supervisor.shutdown();
    assert.equal(await ran, 0);
  });

  test("an added service starts", async () => {
    const s = supervised([plan("a")]);
    const ran = s.supervisor.run();
    s.file.plans = [plan("a"), plan("c")];
    assert.deepEqual(await s.supervisor.reload(), { ok: true, messages: ["c: started (added)"] });
    assert.equal(state(s, "c"), "starting");
    assert.deepEqual(s.session("a").signals, []);
    s.supervisor.shutdown();
    assert.equal(await ran, 0);
  });

  test("an added service waits for its depends_on, and starts once the dependency is ready", async () => {
    const s = supervised([plan("db")]);
    const ran = s.supervisor.run();
    s.file.plans = [plan("db"), plan("api", { dependsOn: [["db", "service_ready"]] })];
    assert.deepEqual(await s.supervisor.reload(), { ok: true, messages: ["api: waiting (added)"] });
    assert.equal(state(s, "api"), "waiting");
    assert.ok(s.lines("api").includes("added to the file, waiting for db (ready)"));
    assert.deepEqual(
      s.sessions.map((x) => x.name),
      ["db"],
    );
    s.session("db").ready();
    assert.equal(state(s, "api"), "starting");
    s.supervisor.shutdown();
    assert.equal(await ran, 0);
  });

  test("an added service whose dependency failed is not started, and the answer says so", async () => {
    const s = supervised([plan("db"), plan("other")], { keepGoing: true });
    const ran = s.supervisor.run();
    s.session("db").exit(1);
    s.file.plans = [plan("db"), plan("other"), plan("api", { dependsOn: [["db", "service_ready"]] })];
    assert.deepEqual(await s.supervisor.reload(), {
      ok: true,
      messages: ["api: not started: db exited with code 1 (added)"],
    });
    assert.equal(state(s, "api"), "stopped");
    s.supervisor.shutdown();
    assert.equal(await ran, 1);
  });

  test("an invalid file changes nothing: the answer is its errors, and they are shown", async () => {
    const s = supervised([plan("a"), plan("b")]);
    const ran = s.supervisor.run();
    const before = [...s.sessions];
    s.file.plans = [plan("a", { command: ["a", "v2"] }), plan("c")];
    s.file.errors = ['mirrord-up.yaml:3:5: error: unknown key "comand"'];
    assert.deepEqual(await s.supervisor.reload(), { ok: false, errors: s.file.errors });
    assert.deepEqual(s.sessions, before);
    assert.deepEqual(
      before.map((x) => x.signals),
      [[], []],
    );
    assert.deepEqual(names(s), ["a", "b"]);
    assert.deepEqual(
      s.written.filter((w) => w.tone === "error"),
      [
        { text: "mirrord-up: reload: the file is invalid, nothing changed", tone: "error" },
        { text: 'mirrord-up.yaml:3:5: error: unknown key "comand"', tone: "error" },
      ],
    );
    s.supervisor.shutdown();
    assert.equal(await ran, 0);
  });

  test("the same file again: nothing changed", async () => {
    const s = supervised([plan("a"), plan("b", { dependsOn: [["a", "service_started"]] })]);
    const ran = s.supervisor.run();
    const before = [...s.sessions];
    // Equal plans, not the same objects: what counts is what they say.
    s.file.plans = [plan("a"), plan("b", { dependsOn: [["a", "service_started"]] })];
    assert.deepEqual(await s.supervisor.reload(), { ok: true, messages: ["nothing changed"] });
    assert.deepEqual(
      reloadNotices(s).map((w) => w.text),
      ["mirrord-up: reload: nothing changed"],
    );
    assert.deepEqual(s.sessions, before);
    assert.deepEqual(
      before.map((x) => x.signals),
      [[], []],
    );
    s.supervisor.shutdown();
    assert.equal(await ran, 0);
  });

  test("a stop that begins while the file is read wins: nothing of the reload is applied", async () => {
    const s = supervised([plan("a")]);
    const ran = s.supervisor.run();
    s.file.plans = [plan("a", { command: ["a", "v2"] }), plan("c")];
    s.file.whileRead = () => s.supervisor.shutdown();
    assert.deepEqual(await s.supervisor.reload(), { ok: false, errors: ["mirrord-up is stopping"] });
    assert.equal(await ran, 0);
    assert.deepEqual(
      s.sessions.map((x) => x.name),
      ["a"],
    );
    assert.deepEqual(names(s), ["a"]);
    assert.deepEqual(reloadNotices(s), []);
  });

  test("a reload asked for while the run is stopping starts nothing", async () => {
    const s = supervised([plan("a")]);
    const ran = s.supervisor.run();
    s.supervisor.shutdown();
    s.file.plans = [plan("a"), plan("c")];
    assert.deepEqual(await s.supervisor.reload(), { ok: false, errors: ["mirrord-up is stopping"] });
    assert.equal(await ran, 0);
    assert.deepEqual(
      s.sessions.map((x) => x.name),
      ["a"],
    );
  });
});
