/**
 * The supervisor's policies in-process: fake sessions, a fake stopper and a clock the test
 * advances, so a 30 s back-off takes no time. What needs real processes (stopping groups, the
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
    s.written.filter((w) => w.text.startsWith("mirrord-up: all ")).map((w) => w.text);

  test("once, when every running session is ready, with the time it took", async () => {
    const s = supervised([plan("a"), plan("b")]);
    const ran = s.supervisor.run();
    s.clock.advance(1500);
    s.session("a").ready();
    assert.deepEqual(banners(s), []);
    s.session("b").ready();
    assert.deepEqual(banners(s), ["mirrord-up: all 2 sessions ready in 1.5s"]);
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
