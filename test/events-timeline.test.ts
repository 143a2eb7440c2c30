/**
 * The events timeline (what `/v1/events` and the dashboard's Events tab show) in-process: each
 * event carries its real cause (`by`), and its detail adds only what kind and cause do not say.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { RunEvent } from "../src/run/control-types.js";
import { serviceStatus } from "../src/run/run-control.js";
import type { ServiceSlot } from "../src/run/service-state.js";
import { formatDuration } from "../src/text/duration.js";
import { plan, supervised } from "./helpers/supervised.js";

/** `service kind [by] [detail]`, in order, leaving out the time. */
const timeline = (events: readonly RunEvent[]) =>
  events.map((e) => [e.service, e.kind, e.by ?? "-", e.detail ?? "-"].join(" "));

const since = (s: ReturnType<typeof supervised>, from: number) => timeline(s.events.events().slice(from));

describe("events carry their real cause", () => {
  test("the run's own start has no cause, a dependent's included", async () => {
    const s = supervised([plan("api", { dependsOn: [["db", "service_ready"]] }), plan("db")]);
    const ran = s.supervisor.run();
    s.session("db").ready();
    const [db, api] = [s.session("db"), s.session("api")];
    assert.deepEqual(timeline(s.events.events()), [
      `db started - pid ${db.pid}`,
      "db ready - after 0ms",
      `api started - pid ${api.pid}`,
    ]);
    s.supervisor.shutdown();
    await ran;
  });

  test("a restart on request of a service with depends_on is one `restarted` event, by request", async () => {
    const s = supervised([plan("api", { dependsOn: [["db", "service_started"]] }), plan("db")]);
    const ran = s.supervisor.run();
    const old = s.session("api").pid;
    const from = s.events.events().length;
    assert.ok((await s.supervisor.restart(["api"])).ok);
    assert.deepEqual(since(s, from), [`api restarted request pid ${old} → ${s.session("api").pid}`]);
    s.supervisor.shutdown();
    await ran;
  });

  test("start: the named service is started by request, a stopped dependency for it", async () => {
    const s = supervised([plan("api", { dependsOn: [["db", "service_started"]] }), plan("db")], {
      keepGoing: true,
    });
    const ran = s.supervisor.run();
    await s.supervisor.stop(["api", "db"]);
    const from = s.events.events().length;
    assert.ok((await s.supervisor.start(["api"])).ok);
    assert.deepEqual(since(s, from), [
      `db started dependency pid ${s.session("db").pid}`,
      `api started request pid ${s.session("api").pid}`,
    ]);
    s.supervisor.shutdown();
    await ran;
  });

  test("a stop on request says who, and nothing more", async () => {
    const s = supervised([plan("api"), plan("db")], { keepGoing: true });
    const ran = s.supervisor.run();
    const from = s.events.events().length;
    await s.supervisor.stop(["api"]);
    assert.deepEqual(since(s, from), ["api stopped request -"]);
    s.supervisor.shutdown();
    await ran;
  });

  test("a restart by the policy says the attempt and the pids, not its cause again", async () => {
    const s = supervised([plan("api", { restart: { kind: "on-failure", maxRetries: 3 } })]);
    const ran = s.supervisor.run();
    const old = s.session("api").pid;
    s.session("api").exit(1);
    const from = s.events.events().length;
    s.clock.advance(1000);
    const [restarted] = s.events.events().slice(from);
    assert.deepEqual(timeline(restarted ? [restarted] : []), [
      `api restarted policy on-failure, attempt 1 of 3, pid ${old} → ${s.session("api").pid}`,
    ]);
    assert.doesNotMatch(restarted?.detail ?? "", /restart|polic/);
    s.supervisor.shutdown();
    await ran;
  });

  test("a service added by a reload: added, then started, both by the reload", async () => {
    const s = supervised([plan("api")]);
    const ran = s.supervisor.run();
    s.file.plans = [plan("api"), plan("web")];
    const from = s.events.events().length;
    assert.ok((await s.supervisor.reload()).ok);
    assert.deepEqual(since(s, from), [
      "web added reload -",
      `web started reload pid ${s.session("web").pid}`,
    ]);
    s.supervisor.shutdown();
    await ran;
  });
});

describe("the ready event says the time ps says", () => {
  for (const ms of [32, 999.6, 1049.6, 61_000]) {
    test(`${ms} ms to ready`, async () => {
      const s = supervised([plan("api")]);
      const ran = s.supervisor.run();
      s.clock.advance(ms);
      s.session("api").ready();
      const ready = s.events.events().find((e) => e.kind === "ready");
      const slot = s.supervisor.services()[0] as ServiceSlot;
      const psAfter = serviceStatus(slot).ready_after_ms;
      assert.ok(psAfter !== null);
      // `ps` and the dashboard's column print ready_after_ms with formatDuration.
      assert.equal(ready?.detail, `after ${formatDuration(psAfter)}`);
      s.supervisor.shutdown();
      await ran;
    });
  }
});
