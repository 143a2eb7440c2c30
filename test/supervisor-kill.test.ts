/**
 * `mirrord-up kill` as a policy, in-process (fake sessions, a clock the test advances): the end a
 * kill causes is an end on its own, so the restart policy answers it, and without one it ends the
 * run as a crash would. That the signal reaches the right process is tested with real processes
 * in test/run-top-kill.test.ts.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { serviceStatus } from "../src/run/run-control.js";
import type { ServiceSlot } from "../src/run/service-state.js";
import { plan, supervised } from "./helpers/supervised.js";

const stateOf = (s: ReturnType<typeof supervised>, name: string) =>
  serviceStatus(s.supervisor.services().find((slot) => slot.plan.name === name) as ServiceSlot).state;

describe("kill", () => {
  test("a killed service's restart policy starts it again, as after a crash", async () => {
    const s = supervised([plan("api", { restart: { kind: "on-failure" } }), plan("web")]);
    const ran = s.supervisor.run();
    const first = s.session("api");
    const answer = await s.supervisor.kill(["api"], "SIGKILL", false);
    assert.deepEqual(answer, { ok: true, messages: [`api: SIGKILL sent to pid ${first.pid}`] });
    assert.deepEqual(first.kills, [["SIGKILL", false]]);
    assert.ok(s.lines("api").includes("killed by SIGKILL"), s.lines("api").join("\n"));
    assert.ok(s.lines("api").includes("restarting in 1s (on-failure, attempt 1)"));
    assert.equal(stateOf(s, "api"), "restarting");
    s.clock.advance(1000);
    assert.notEqual(s.session("api"), first);
    assert.equal(stateOf(s, "api"), "starting");
    // The others were never touched.
    assert.equal(s.sessions.filter((x) => x.name === "web").length, 1);
    assert.equal(s.stopper.stops.length, 0);
    s.supervisor.shutdown();
    assert.equal(await ran, 0);
  });

  test("without a restart policy a kill ends the run as a failure: 128 + the signal's number", async () => {
    const s = supervised([plan("api"), plan("web")]);
    const ran = s.supervisor.run();
    await s.supervisor.kill(["api"], "SIGKILL", false);
    assert.equal(await ran, 137);
  });

  test("with --keep-going the others run on", async () => {
    const s = supervised([plan("api"), plan("web")], { keepGoing: true });
    const ran = s.supervisor.run();
    await s.supervisor.kill(["api"], "SIGTERM", false);
    assert.equal(stateOf(s, "api"), "failed");
    assert.equal(stateOf(s, "web"), "starting");
    s.session("web").exit(0);
    assert.equal(await ran, 143);
  });

  test("--group is handed to the session; a service that does not run is said so", async () => {
    const s = supervised([plan("api", { restart: { kind: "always" } }), plan("web")], { keepGoing: true });
    const ran = s.supervisor.run();
    s.session("web").exit(0);
    const answer = await s.supervisor.kill(["api", "web"], "SIGHUP", true);
    assert.deepEqual(answer, {
      ok: true,
      messages: [`api: SIGHUP sent to process group ${s.session("api").pid}`, "web: not running"],
    });
    assert.deepEqual(s.session("api").kills, [["SIGHUP", true]]);
    s.supervisor.shutdown();
    assert.equal(await ran, 0);
  });

  test("an unknown service is refused and nothing is sent", async () => {
    const s = supervised([plan("api")]);
    const ran = s.supervisor.run();
    const answer = await s.supervisor.kill(["apii"], "SIGKILL", false);
    assert.equal(answer.ok, false);
    assert.deepEqual(s.session("api").kills, []);
    s.supervisor.shutdown();
    assert.equal(await ran, 0);
  });
});
