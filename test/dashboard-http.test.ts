/**
 * The dashboard's server as a foreign page, another local user or a DNS-rebinding site would
 * meet it: a real `up --dashboard` with the stand-in mirrord, asked over raw HTTP. What is
 * refused must change nothing (checked with `mirrord-up ps`, which goes through the socket).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { after, describe, it } from "node:test";
import {
  type Answer,
  client,
  type Dashboard,
  down,
  http,
  parseAddress,
  ps,
  row,
  startWithDashboard,
} from "./helpers/dashboard.js";
import { isAlive } from "./helpers/processes.js";
import { startUp } from "./helpers/up.js";
import { waitUntil } from "./helpers/wait.js";

const SECRET = "s3cr3t-value-in-env";
const CONFIG = `
services:
  api:
    target: {path: deployment/api}
    env: {override: {API_TOKEN: ${SECRET}}}
    run: {command: [bash, -c, 'echo "api up"; while sleep 0.5; do echo "api tick"; done']}
  web:
    run: {type: local, command: [bash, -c, 'echo "web up"; exec sleep 3600']}
`;

const PATHS = [
  "/",
  "/index.html",
  "/app.js",
  "/app.css",
  "/v1/info",
  "/v1/services",
  "/v1/logs",
  "/v1/events",
  "/nowhere",
];

function assertSecurityHeaders(answer: Answer, what: string): void {
  const csp = String(answer.headers["content-security-policy"]);
  assert.match(csp, /(^|;\s*)default-src 'self'(;|$)/, `${what}: CSP ${csp}`);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, what);
  assert.equal(answer.headers["x-content-type-options"], "nosniff", what);
  assert.equal(answer.headers["referrer-policy"], "no-referrer", what);
  for (const name of Object.keys(answer.headers)) {
    assert.ok(!name.startsWith("access-control-"), `${what}: no CORS header, got ${name}`);
  }
}

describe("the dashboard's server", { timeout: 180_000 }, () => {
  // One run for this group, started at the top level: a temporary directory made inside a hook
  // would be removed when that hook ends.
  let d: Dashboard;
  const auth = () => ({ authorization: `Bearer ${d.token}` });
  // Registered first, so that it runs before the directory is removed.
  after(async () => down((await shared).run));
  const shared = startWithDashboard(CONFIG);
  shared.catch(() => {});

  it("prints its address when it starts and again in the ready banner, with a token of at least 128 bits", async () => {
    d = await shared;
    // The first print has scrolled away by the time everything is ready: the banner repeats it.
    await d.run.waitForOutput(`\n  dashboard: ${d.url}\n`);

    const out = d.run.stdout().toString();
    assert.equal(out.match(/^dashboard: /gm)?.length, 1, out);
    const ready = out.search(/^mirrord-up: all .* ready/m);
    assert.ok(ready > out.indexOf(`dashboard: ${d.url}`), out);
    assert.ok(out.indexOf(`  dashboard: ${d.url}`, ready) > ready, out);
    // base64url: 6 bits a character.
    assert.ok(d.token.length * 6 >= 128, d.token);
  });

  it("listens on 127.0.0.1 only", () => {
    const hexPort = d.port.toString(16).toUpperCase().padStart(4, "0");
    const listening = [readFileSync("/proc/net/tcp", "utf8"), readFileSync("/proc/net/tcp6", "utf8")]
      .join("\n")
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      // state 0A = LISTEN
      .filter((f) => f[1]?.endsWith(`:${hexPort}`) && f[3] === "0A")
      .map((f) => f[1]);
    assert.deepEqual(listening, [`0100007F:${hexPort}`]);
  });

  it("answers the API only with the run's token, in either header", async () => {
    for (const path of ["/v1/info", "/v1/services", "/v1/logs", "/v1/events?follow=1", "/v1/configs"]) {
      const none = await http(d.port, path);
      assert.equal(none.status, 401, `${path} without a token`);
      assert.doesNotMatch(none.body, /api tick|deployment\/api/, path);
      const wrong = await http(d.port, path, {
        headers: { authorization: `Bearer ${d.token.slice(0, -1)}x` },
      });
      assert.equal(wrong.status, 401, `${path} with a wrong token`);
      const longer = await http(d.port, path, { headers: { "x-mirrord-up-token": `${d.token}x` } });
      assert.equal(longer.status, 401, `${path} with a longer token`);
      assert.equal((await http(d.port, path, { headers: auth() })).status, 200, `${path} with the token`);
      const other = await http(d.port, path, { headers: { "x-mirrord-up-token": d.token } });
      assert.equal(other.status, 200, `${path} with X-Mirrord-Up-Token`);
    }
    const services = JSON.parse((await http(d.port, "/v1/services", { headers: auth() })).body);
    assert.deepEqual(
      services.services.map((s: { name: string }) => s.name),
      ["api", "web"],
    );
  });

  it("refuses a foreign Host with 403 on every path, the page too", async () => {
    for (const host of [
      `evil.example:${d.port}`,
      "127.0.0.1",
      `127.0.0.1:${d.port + 1}`,
      `localhost.evil.example:${d.port}`,
    ]) {
      for (const path of PATHS) {
        const answer = await http(d.port, path, { headers: { host, ...auth() } });
        assert.equal(answer.status, 403, `${path} with Host ${host}`);
        assert.doesNotMatch(answer.body, /<html|api tick/, `${path} with Host ${host}`);
        assertSecurityHeaders(answer, `403 for ${path}`);
      }
    }
    assert.equal((await http(d.port, "/", { headers: { host: `localhost:${d.port}` } })).status, 200);
  });

  it("does nothing for a cross-origin form POST", async () => {
    const before = row(await ps(d.run), "web");
    assert.equal(before.state, "running");
    for (const path of ["/v1/stop", "/v1/restart", "/v1/down"]) {
      const answer = await http(d.port, path, {
        method: "POST",
        headers: {
          origin: "http://evil.example",
          "content-type": "application/x-www-form-urlencoded",
        },
        body: "services=web",
      });
      assert.ok([401, 403].includes(answer.status), `${path}: ${answer.status}`);
      // Without Origin (an old browser, a local program): no token, no action.
      const bare = await http(d.port, path, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: "services=web",
      });
      assert.equal(bare.status, 401, path);
    }
    // With the token but as a form (no JSON): refused as well.
    const form = await http(d.port, "/v1/stop", {
      method: "POST",
      headers: { ...auth(), "content-type": "application/x-www-form-urlencoded" },
      body: "services=web",
    });
    assert.equal(form.status, 415);
    // A preflight gets no CORS answer, so a browser never sends the real request.
    const preflight = await http(d.port, "/v1/stop", {
      method: "OPTIONS",
      headers: { origin: "http://evil.example", "access-control-request-method": "POST" },
    });
    assertSecurityHeaders(preflight, "OPTIONS");
    const after = row(await ps(d.run), "web");
    assert.equal(after.state, "running");
    assert.equal(after.pid, before.pid);
    assert.ok(before.pid !== null && isAlive(before.pid));
  });

  it("changes state only on POST with the token", async () => {
    const before = row(await ps(d.run), "api");
    const get = await http(d.port, "/v1/restart?services=api", { headers: auth() });
    assert.equal(get.status, 405);
    assert.equal(row(await ps(d.run), "api").pid, before.pid);
    const post = await http(d.port, "/v1/restart", {
      method: "POST",
      headers: { ...auth(), "content-type": "application/json", origin: d.origin },
      body: JSON.stringify({ services: ["api"] }),
    });
    assert.equal(post.status, 200, post.body);
    const after = row(await ps(d.run), "api");
    assert.notEqual(after.pid, before.pid);
    assert.equal(after.restarts, before.restarts + 1);
  });

  it("sets its security headers on the page, its assets and the API", async () => {
    for (const path of PATHS) {
      assertSecurityHeaders(await http(d.port, path), `${path} without token`);
      assertSecurityHeaders(await http(d.port, path, { headers: auth() }), `${path} with token`);
    }
    const page = await http(d.port, "/");
    assert.match(String(page.headers["content-type"]), /^text\/html/);
    // No inline script or style: the page loads them from its own paths.
    assert.match(page.body, /<script src="\/app\.js"/);
    assert.doesNotMatch(page.body, /<script>|<style|style="/);
    assert.match(String((await http(d.port, "/app.js")).headers["content-type"]), /^text\/javascript/);
    assert.match(String((await http(d.port, "/app.css")).headers["content-type"]), /^text\/css/);
  });

  it("serves a page and assets that hold nothing secret", async () => {
    for (const path of ["/", "/app.js", "/app.css"]) {
      const answer = await http(d.port, path);
      assert.equal(answer.status, 200, path);
      assert.ok(!answer.body.includes(d.token), `${path} holds the token`);
      assert.ok(!answer.body.includes(SECRET), `${path} holds an env value`);
    }
  });

  it("masks the values of env in the configs unless they are asked for", async () => {
    const masked = await http(d.port, "/v1/configs", { headers: auth() });
    assert.ok(!masked.body.includes(SECRET), masked.body);
    const api = JSON.parse(masked.body).services.find((s: { name: string }) => s.name === "api");
    assert.deepEqual(api.config.feature.env.override, { API_TOKEN: "••••••" });
    assert.deepEqual(api.command.slice(0, 2), ["bash", "-c"]);
    assert.equal(api.curl, "curl -H 'baggage: mirrord-session=tester' http://api/");
    const shown = await http(d.port, "/v1/configs?reveal=1", { headers: auth() });
    assert.ok(shown.body.includes(SECRET));
  });

  it("`mirrord-up dashboard` prints the same address, and up does not print it again", async () => {
    const r = await client(d.run, ["dashboard"]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `dashboard: ${d.url}\n`);
    // up's output is one ordered stream: a line api prints after the answer comes after anything
    // the request made up print.
    const ticks = () => d.run.stdout().toString().split("api tick").length;
    const before = ticks();
    await waitUntil(() => ticks() > before, 30_000, "api's next tick");
    assert.equal(
      d.run
        .stdout()
        .toString()
        .match(/^dashboard: /gm)?.length,
      1,
    );
  });
});

describe("starting the dashboard", { timeout: 180_000 }, () => {
  it("`mirrord-up dashboard` starts it for a run without --dashboard, and up prints the address", async () => {
    const run = startUp(CONFIG);
    let again: Dashboard | undefined;
    try {
      await run.waitForOutput("all 2 services ready");
      assert.doesNotMatch(run.stdout().toString(), /^dashboard: /m);
      const r = await client(run, ["dashboard"]);
      assert.equal(r.code, 0, r.stderr);
      const address = parseAddress(r.stdout);
      assert.ok(address, r.stdout);
      await run.waitForOutput(`dashboard: ${address.url}`);
      const answer = await http(address.port, "/v1/services", {
        headers: { authorization: `Bearer ${address.token}` },
      });
      assert.equal(answer.status, 200);
      // Another run has another token: it is fresh per run.
      again = await startWithDashboard(CONFIG);
      assert.notEqual(again.token, address.token);
      const stale = await http(again.port, "/v1/info", {
        headers: { authorization: `Bearer ${address.token}` },
      });
      assert.equal(stale.status, 401);
    } finally {
      await down(run);
      if (again) await down(again.run);
    }
  });

  it("--dashboard-port serves it on that port; a port in use is an error before anything starts", async () => {
    const port = await freePort();
    const d = await startWithDashboard(CONFIG, { args: ["--dashboard-port", String(port)] });
    try {
      assert.equal(d.port, port);
      await d.run.waitForOutput("all 2 services ready");
      // The same port for another run (another directory): refused, nothing started.
      const second = startUp(CONFIG, { args: ["up", "--dashboard", "--dashboard-port", String(port)] });
      const { code } = await second.exited;
      assert.equal(code, 2, second.stdout().toString());
      assert.match(second.stderr(), new RegExp(`cannot serve the dashboard on 127\\.0\\.0\\.1:${port}`));
      assert.deepEqual(second.mirrordLog(), []);
      assert.doesNotMatch(second.stdout().toString(), /started/);
    } finally {
      await down(d.run);
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}
