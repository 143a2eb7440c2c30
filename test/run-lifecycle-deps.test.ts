/**
 * `depends_on`, jobs and stop order on real processes: what starts when (from the `up` output and
 * from what the processes themselves saw), a job's success that does not end the run, a failed
 * dependency that keeps its dependents from starting, and dependents stopped before what they
 * depend on.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { freePort as pickPort } from "./helpers/ports.js";
import { isAlive } from "./helpers/processes.js";
import { ps } from "./helpers/ps.js";
import { nothingLeft, runUp, startUp } from "./helpers/up.js";

/** `$1` as a line of `stamps` (appended): who did what, in the order it happened. */
const STAMP = `stamp() { echo "$1" >> stamps; };`;

function stamps(dir: string): string[] {
  return readFileSync(join(dir, "stamps"), "utf8").trim().split("\n");
}

describe("depends_on and jobs", { timeout: 180_000 }, () => {
  it("a migration job runs first and exits 0; then the app starts, and the run goes on", async () => {
    const run = startUp(`
services:
  migrate:
    one_shot: true
    run: {type: local, command: [bash, -c, '${STAMP} stamp "migrate start"; sleep 0.3; echo migrated; stamp "migrate end"']}
  api:
    depends_on:
      migrate: {condition: service_completed_successfully}
    target: {path: deployment/api}
    run: {command: [bash, -c, '${STAMP} stamp "api start"; echo "api up"; exec sleep 3600']}
`);
    await run.waitForOutput("1 session ready");
    await run.waitForOutput("api up");
    const out = run.stdout().toString();
    assert.match(out, /api +▸ waiting for migrate \(completed successfully\)/);
    assert.match(out, /migrate ▸ exited with code 0 \(job done\)/);
    // The order in the output: the job ended before mirrord was started for the app ...
    assert.ok(out.indexOf("migrate ▸ exited with code 0") < out.indexOf("api     ▸ mirrord:"), out);
    // ... and as the processes saw it.
    assert.deepEqual(stamps(run.dir), ["migrate start", "migrate end", "api start"]);
    const rows = await ps(run);
    assert.deepEqual(
      rows.map((r) => [r.name, r.state]),
      [
        ["api", "ready"],
        ["migrate", "exited"],
      ],
    );
    run.child.kill("SIGINT");
    const { code } = await run.exited;
    assert.equal(code, 0);
    await nothingLeft(run.marker);
  });

  it("service_ready waits for the dependency's ready_when; service_started only for its start", async () => {
    const freePort = await pickPort();
    const run = startUp(
      `
services:
  db:
    ready_when: {port: 0, interval: 100ms}
    run: {type: local, command: [node, -e, 'setTimeout(() => require("net").createServer().listen(Number(process.env.DB_PORT), "127.0.0.1", () => console.log("db listening")), 800)']}
  api:
    depends_on: {db: {condition: service_ready}}
    run: {type: local, command: [node, -e, 'const s = require("net").connect(Number(process.env.DB_PORT), "127.0.0.1"); s.on("connect", () => { console.log("api reached db"); s.end(); }); s.on("error", (e) => console.log("api could not reach db: " + e.code)); setInterval(() => {}, 1e6)']}
  logger:
    depends_on: [api]
    run: {type: local, command: [bash, -c, 'echo "logger up"; exec sleep 3600']}
`.replaceAll("port: 0", `port: ${freePort}`),
      { env: { DB_PORT: String(freePort) } },
    );
    await run.waitForOutput("all 3 services ready");
    await run.waitForOutput(/api +\| api (reached|could not reach) db/);
    const out = run.stdout().toString();
    assert.match(out, /api +\| api reached db/);
    assert.match(out, /db +▸ ready in .* \(port \d+\)/);
    // Start order in the output: db, then (once ready) api, then logger.
    const at = (text: string) => out.indexOf(text);
    assert.ok(at("db     ▸ started") < at("db     ▸ ready in"), out);
    assert.ok(at("db     ▸ ready in") < at("api    ▸ started"), out);
    assert.ok(at("api    ▸ started") < at("logger ▸ started"), out);
    run.child.kill("SIGINT");
    await run.exited;
    await nothingLeft(run.marker);
  });

  it("a dependency that fails: its dependent is not started, and the run ends with the dependency's code", async () => {
    const { code, stdout, run } = await runUp(`
services:
  migrate:
    run: {type: local, command: [bash, -c, 'echo "migration failed"; exit 4']}
  api:
    depends_on: {migrate: {condition: service_completed_successfully}}
    target: {path: deployment/api}
    run: {command: [sleep, "3600"]}
  web:
    run: {type: local, command: [sleep, "3600"]}
`);
    assert.equal(code, 4, stdout);
    assert.match(stdout, /api +▸ not started: migrate exited with code 4/);
    assert.equal(run.mirrordLog().length, 0, "mirrord was never started for api");
    assert.match(stdout, /api +not started: migrate exited with code 4/);
    await nothingLeft(run.marker);
  });

  it("with --keep-going the others run on, and the one that could not start is reported", async () => {
    const run = startUp(
      `
services:
  migrate:
    run: {type: local, command: [bash, -c, 'exit 4']}
  api:
    depends_on: {migrate: {condition: service_completed_successfully}}
    run: {type: local, command: [sleep, "3600"]}
  web:
    run: {type: local, command: [bash, -c, 'echo "web $$"; exec sleep 3600']}
`,
      { args: ["--keep-going"] },
    );
    await run.waitForOutput(/api +▸ not started: migrate exited with code 4/);
    // web's line may come after that report (nothing orders the two services' output).
    await run.waitForOutput(/web +\| web \d+/);
    const web = Number(/web +\| web (\d+)/.exec(run.stdout().toString())?.[1]);
    assert.ok(isAlive(web));
    const states = Object.fromEntries((await ps(run)).map((r) => [r.name, r.state]));
    assert.deepEqual(states, { api: "stopped", migrate: "failed", web: "running" });
    run.child.kill("SIGINT");
    const { code } = await run.exited;
    assert.equal(code, 4, "the first failure still decides the exit status");
    await nothingLeft(run.marker);
  });

  it("stops dependents first, and what they depend on only once they are gone", async () => {
    const run = startUp(`
services:
  db:
    run: {type: local, command: [bash, -c, 'echo $$ > db.pid; trap "echo db stopping; exit 0" TERM; echo "db up"; while :; do sleep 0.1; done']}
  api:
    depends_on: [db]
    run: {type: local, command: [bash, -c, 'trap ''kill -0 $(cat db.pid) && echo api stopping, db still up; sleep 0.3; exit 0'' TERM; echo "api up"; while :; do sleep 0.1; done']}
`);
    // db.pid is read when api is stopped (the trap is in single quotes): api may start before
    // db has written it ("started" is spawned, not ready).
    await run.waitForOutput("all 2 services ready");
    await run.waitForOutput("api up");
    await run.waitForOutput("db up");
    run.child.kill("SIGTERM");
    const { code } = await run.exited;
    assert.equal(code, 0);
    const out = run.stdout().toString();
    assert.match(out, /api +\| api stopping, db still up/);
    assert.ok(out.indexOf("api stopping") < out.indexOf("db stopping"), out);
    await nothingLeft(run.marker);
  });

  it("naming a service on the command line also starts what it depends on, even skip: true ones", async () => {
    const run = startUp(
      `
services:
  db:
    skip: true
    run: {type: local, command: [bash, -c, 'echo "db up"; exec sleep 3600']}
  api:
    depends_on: [db]
    run: {type: local, command: [bash, -c, 'echo "api up"; exec sleep 3600']}
  web:
    run: {type: local, command: [sleep, "3600"]}
`,
      { args: ["up", "api"] },
    );
    await run.waitForOutput("all 2 services ready");
    const out = run.stdout().toString();
    assert.match(out, /starting 2 services \(api, db\)/);
    assert.doesNotMatch(out, /web/);
    run.child.kill("SIGINT");
    await run.exited;
    await nothingLeft(run.marker);
  });
});
