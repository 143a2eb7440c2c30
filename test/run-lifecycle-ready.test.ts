/**
 * `ready_when` against real servers on 127.0.0.1 and real commands: a service counts as ready
 * only once its check passes (after mirrord's own Ready! for a mirrord session), the banner waits
 * for it, and a check that never passes is a failure.
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { freePort } from "./helpers/ports.js";
import { psRow } from "./helpers/ps.js";
import { tempDir } from "./helpers/tmp.js";
import { nothingLeft, runUp, startUp } from "./helpers/up.js";

/** A node HTTP server on 127.0.0.1:PORT that starts listening after `delay` ms. */
function httpServer(port: number, delay: number, answer = "res.end('ok')"): string {
  const js = `setTimeout(() => require('http').createServer((req, res) => { ${answer} }).listen(${port}, '127.0.0.1', () => console.log('listening on ${port}')), ${delay})`;
  return `[node, -e, "${js}"]`;
}

describe("ready_when", { timeout: 180_000 }, () => {
  it("port: a mirrord session is ready once mirrord said Ready! and the port answers; the banner waits and names the address", async () => {
    const port = await freePort();
    const run = startUp(`
services:
  api:
    target: {path: deployment/api}
    ready_when: {port: ${port}, interval: 100ms}
    run: {command: ${httpServer(port, 600)}}
`);
    await run.waitForOutput("1 session ready");
    await run.waitForOutput(/curl -H .*\n/);
    const out = run.stdout().toString();
    assert.match(out, new RegExp(`api ▸ mirrord ready in [^\\n]*, waiting for port ${port}\\n`));
    assert.match(out, new RegExp(`api ▸ ready in [^\\n]* \\(port ${port}\\)\\n`));
    // Ready only after the server listened (it listens 600 ms after it starts; its own "listening"
    // line may be read after the probe got in, so the time says it), and the banner only after that.
    const readyIn = /api ▸ ready in (?:(\d+)ms|([\d.]+)s)/.exec(out);
    const readyMs = Number(readyIn?.[1] ?? Number(readyIn?.[2]) * 1000);
    assert.ok(readyMs >= 600, out);
    assert.ok(out.indexOf("api ▸ ready in") < out.indexOf("1 session ready"), out);
    assert.ok(out.includes(`curl -H 'baggage: mirrord-session=tester' http://127.0.0.1:${port}/`), out);
    const row = await psRow(run, "api");
    assert.equal(row.state, "ready");
    assert.ok((row.ready_after_ms ?? 0) > 0);
    run.child.kill("SIGINT");
    await run.exited;
    await nothingLeft(run.marker);
  });

  it("http: ready on the first 2xx or 3xx answer, not before", async () => {
    const port = await freePort();
    const answer =
      "global.n = (global.n || 0) + 1; const status = global.n < 3 ? 503 : 302; console.log('answered ' + status); res.writeHead(status, {location: '/elsewhere'}); res.end()";
    const run = startUp(`
services:
  web:
    ready_when: {http: "http://127.0.0.1:${port}/health", interval: 100ms}
    run: {type: local, command: ${httpServer(port, 0, answer)}}
`);
    await run.waitForOutput(/web ▸ ready in .* \(http:\/\/127\.0\.0\.1:\d+\/health\)/);
    const out = run.stdout().toString();
    assert.deepEqual(
      [...out.matchAll(/answered (\d+)/g)].map((m) => m[1]),
      ["503", "503", "302"],
    );
    assert.ok(out.indexOf("answered 302") < out.indexOf("web ▸ ready in"), out);
    run.child.kill("SIGINT");
    await run.exited;
    await nothingLeft(run.marker);
  });

  it("log: ready when a line of the service's output matches (Rust regex syntax); the line is still shown", async () => {
    const run = startUp(`
services:
  worker:
    ready_when: {log: "^consumer (?:started|ready) on queue \\\\w+$"}
    run: {type: local, command: [bash, -c, 'echo "warming up"; sleep 0.5; echo "consumer started on queue jobs"; exec sleep 3600']}
`);
    await run.waitForOutput("1 service ready");
    const out = run.stdout().toString();
    assert.match(out, /worker ▸ started \(pid \d+\), waiting for log /);
    assert.match(out, /worker \| consumer started on queue jobs\n/);
    assert.ok(out.indexOf("consumer started on queue jobs") < out.indexOf("worker ▸ ready in"), out);
    assert.equal((await psRow(run, "worker")).state, "ready");
    run.child.kill("SIGINT");
    await run.exited;
    await nothingLeft(run.marker);
  });

  it("command: run without a shell, in the service's working directory and environment, until it exits 0", async () => {
    // Somewhere else than mirrord-up's own directory: the flag file appears only there.
    const work = tempDir();
    const second = startUp(`
services:
  db:
    env: {override: {FLAG: "on"}}
    ready_when: {command: [bash, -c, 'test "$FLAG" = on && test -f ready.flag'], interval: 100ms}
    run: {type: local, working_dir: "${work}", command: [bash, -c, 'sleep 0.5; echo flagged; touch ready.flag; exec sleep 3600']}
`);
    await second.waitForOutput("1 service ready");
    const out = second.stdout().toString();
    assert.ok(out.indexOf("db | flagged") < out.indexOf("db ▸ ready in"), out);
    assert.match(out, /db ▸ ready in .* \(command `bash -c test "\$FLAG" = on && test -f ready\.flag`\)/);
    assert.ok(existsSync(join(work, "ready.flag")));
    assert.ok(!existsSync(join(second.dir, "ready.flag")));
    second.child.kill("SIGINT");
    await second.exited;
    await nothingLeft(second.marker);
  });

  it("a check that never passes: the service is stopped and reported, its dependents do not start, exit 1", async () => {
    const port = await freePort();
    const { code, stdout, run } = await runUp(`
services:
  api:
    target: {path: deployment/api}
    ready_when: {port: ${port}, interval: 100ms, timeout: 1s}
    run: {command: [bash, -c, 'echo "api $$"; exec sleep 3600']}
  web:
    depends_on: {api: {condition: service_ready}}
    run: {type: local, command: [sleep, "3600"]}
`);
    assert.equal(code, 1, stdout);
    assert.match(stdout, new RegExp(`api ▸ not ready after 1s \\(port ${port} refused\\)`));
    assert.match(stdout, new RegExp(`web ▸ not started: api not ready after 1s \\(port ${port} refused\\)`));
    assert.match(stdout, /api +not ready after 1s/);
    assert.doesNotMatch(stdout, /all \d sessions? ready/);
    await nothingLeft(run.marker);
  });
});
