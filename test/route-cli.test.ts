/**
 * `mirrord-up route` as a user runs it: the request from 'METHOD PATH' or a pasted curl command
 * line (parsed in-process), the answer from the file (in-process CLI), and from a running `up`
 * (the real binary with the stand-in mirrord) over its control socket.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseRouteArgs } from "../src/cli/route-request.js";
import { UserError } from "../src/core/errors.js";
import { runCliCaptured } from "./helpers/cli.js";
import { withConfig } from "./helpers/tmp.js";
import { startUp } from "./helpers/up.js";

const header = (name: string, value: string) => ({ name, value });

describe("route: the request", () => {
  it("'METHOD PATH' after the services, with -H lines in order (a repeat stays two headers)", () => {
    const parsed = parseRouteArgs(["api", "web", "POST /users?id=7"], ["X-User: alice", "x-user:  bob  "]);
    assert.deepEqual(parsed, {
      services: ["api", "web"],
      request: {
        method: "POST",
        target: "/users?id=7",
        headers: [header("X-User", "alice"), header("x-user", "bob")],
      },
    });
  });

  it("a path alone is a GET; a URL gives the Host header and its port", () => {
    assert.deepEqual(parseRouteArgs(["/health"], []).request, {
      method: "GET",
      target: "/health",
      headers: [],
    });
    assert.deepEqual(parseRouteArgs(["DELETE http://api:8080/x?y=1"], []), {
      services: [],
      request: { method: "DELETE", target: "/x?y=1", headers: [header("Host", "api:8080")] },
      urlPort: 8080,
    });
  });

  it("a pasted curl line: -X, -H, the URL's port, path and query, and the headers curl adds", () => {
    const parsed = parseRouteArgs(
      [
        "api",
        `curl -sS -X PUT -H 'baggage: mirrord-session=alice' "http://api.local:3000/a/./b/../c?q=1#frag"`,
      ],
      [],
    );
    assert.deepEqual(parsed, {
      services: ["api"],
      request: {
        method: "PUT",
        target: "/a/c?q=1",
        headers: [
          header("Host", "api.local:3000"),
          header("Accept", "*/*"),
          header("baggage", "mirrord-session=alice"),
        ],
      },
      urlPort: 3000,
    });
  });

  it("curl -d makes a POST with curl's form headers; --json a POST of JSON; -G puts data in the query", () => {
    assert.deepEqual(parseRouteArgs(["curl -d a=1 -d b=2 api/x"], []).request, {
      method: "POST",
      target: "/x",
      headers: [
        header("Host", "api"),
        header("Accept", "*/*"),
        header("Content-Length", "7"),
        header("Content-Type", "application/x-www-form-urlencoded"),
      ],
    });
    const json = parseRouteArgs(["curl --json '{\"a\":1}' http://api/x"], []).request;
    assert.equal(json.method, "POST");
    assert.deepEqual(
      json.headers.filter((h) => h.name !== "Host"),
      [
        header("Accept", "application/json"),
        header("Content-Length", "7"),
        header("Content-Type", "application/json"),
      ],
    );
    assert.deepEqual(
      parseRouteArgs(["curl -G -d a=1 --data-urlencode 'b=x y' http://api/s?q"], []).request.target,
      "/s?q&a=1&b=x%20y",
    );
    assert.equal(parseRouteArgs(["curl -I http://api/"], []).request.method, "HEAD");
  });

  it("curl after --, as separate words; combined short flags and attached values", () => {
    const parsed = parseRouteArgs(["api", "curl", "-sSXPATCH", "-Hx-a:1", "-u", "u:p", "http://h/p"], []);
    assert.equal(parsed.request.method, "PATCH");
    assert.deepEqual(parsed.request.headers, [
      header("Host", "h"),
      header("Accept", "*/*"),
      header("Authorization", `Basic ${Buffer.from("u:p").toString("base64")}`),
      header("x-a", "1"),
    ]);
  });

  it("a custom header replaces curl's own; 'Name:' removes it; 'Name;' sends it empty", () => {
    const { headers } = parseRouteArgs(
      ["curl -H 'Host: other' -H 'Accept:' -H 'X-Empty;' http://api/"],
      [],
    ).request;
    assert.deepEqual(headers, [header("Host", "other"), header("X-Empty", "")]);
  });

  it("--path-as-is keeps dot segments", () => {
    assert.equal(parseRouteArgs(["curl --path-as-is http://api/a/../b"], []).request.target, "/a/../b");
  });

  for (const [args, headers, message] of [
    [["api"], [], /route needs a request/],
    [["GET /a", "GET /b"], [], /one request, not 2/],
    [["GET a"], [], /the path starts with \//],
    [["GET /é"], [], /visible ASCII only/],
    [["G(T /"], [], /is not an HTTP method/],
    [["GET /"], ["no colon"], /a header is 'Name: value'/],
    [["GET /"], ["bad name: x"], /is not a header name/],
    [["GET /"], ["x: a\u0001b"], /control character/],
    [["curl -F a=1 http://api/"], [], /multipart body's boundary is random/],
    [["curl --frobnicate http://api/"], [], /an option route does not know/],
    [["curl -s"], [], /has no URL/],
    [["curl https://api/"], [], /plain http:\/\//],
    [["curl -d @body.json http://api/"], [], /data from a file is not read/],
    [["curl 'http://api/a"], [], /the curl command line: .*quote/i],
  ] as [string[], string[], RegExp][]) {
    it(`refuses ${JSON.stringify([...args, ...headers.flatMap((h) => ["-H", h])])} with one clear message`, () => {
      assert.throws(
        () => parseRouteArgs(args, headers),
        (error: unknown) => error instanceof UserError && message.test(error.message),
      );
    });
  }
});

const FILE = `
common:
  operator: true
services:
  api:
    target: {path: deployment/api}
    run: {command: [node, app.js]}
    ready_when: {port: 8080}
  web:
    target: {path: pod/web}
    run: {command: [node, web.js]}
    http_filter:
      path_filter: ^/web
      ports: [3000]
  db:
    run: {type: local, command: [node, db.js]}
`;

describe("mirrord-up route on the file", () => {
  it("answers per service with reasons and sources, and the summary", async () => {
    const cwd = withConfig(FILE);
    const r = await runCliCaptured(
      ["route", "-k", "alice", "GET /users", "-H", "baggage: mirrord-session=alice"],
      {
        cwd,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /decided from the file/);
    assert.match(r.stdout, /^api {2}steals {2}\(deployment\/api port 8080\)$/m);
    assert.match(
      r.stdout,
      /header line "baggage: mirrord-session=alice" matches \[agent\/src\/http\/filter\.rs:300-309\]/,
    );
    assert.match(r.stdout, /^web {2}passes {2}\(pod\/web port 3000\)$/m);
    assert.match(
      r.stdout,
      /passed through to the original destination \[agent\/src\/steal\/task\.rs:316-322\]/,
    );
    assert.doesNotMatch(r.stdout, /^db/m, "a local service is left out unless named");
    assert.match(r.stdout, /\nstolen by api\n$/);
  });

  it("renders the key into the session filter: another key's header passes", async () => {
    const cwd = withConfig(FILE);
    const r = await runCliCaptured(
      ["route", "-k", "bob", "api", "GET /", "-H", "baggage: mirrord-session=alice"],
      { cwd },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /no session steals it: passed through to the original destination/);
  });

  it("--format json: the request, per service the verdict and reasons, the conflicts", async () => {
    const cwd = withConfig(FILE);
    const r = await runCliCaptured(["route", "web", "curl http://web:3000/web/a", "--format", "json"], {
      cwd,
    });
    assert.equal(r.code, 0, r.stderr);
    const answer = JSON.parse(r.stdout);
    assert.equal(answer.from, "file");
    assert.deepEqual(answer.request.headers, [header("Host", "web:3000"), header("Accept", "*/*")]);
    assert.deepEqual(
      answer.services.map((s: { service: string; verdict: string; port: number }) => [
        s.service,
        s.verdict,
        s.port,
      ]),
      [["web", "steals", 3000]],
    );
    assert.deepEqual(answer.conflicts, []);
  });

  it("--port beats the URL's port: outside http_filter.ports the session steals unfiltered", async () => {
    const cwd = withConfig(FILE);
    const r = await runCliCaptured(["route", "web", "curl http://web:3000/other", "--port", "9000"], { cwd });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /http_filter\.ports \(3000\) leaves out 9000/);
    assert.match(r.stdout, /stolen by web/);
  });

  it("asks for --port, naming the service, when the file does not give its port", async () => {
    const cwd = withConfig("services:\n  api:\n    target: {path: pod/api}\n    run: {command: [x]}\n");
    const r = await runCliCaptured(["route", "GET /"], { cwd });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /which port does the request arrive on at api\? neither http_filter.ports nor ready_when names it/,
    );
    assert.match(r.stderr, /hint: pass --port N/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  });

  it("an unknown service is named, with the closest one", async () => {
    const cwd = withConfig(FILE);
    const r = await runCliCaptured(["route", "apii", "GET /"], { cwd });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown service "apii"/);
    assert.match(r.stderr, /did you mean "api"/);
  });

  it("--operator and --no-operator decide what the file leaves open", async () => {
    const cwd = withConfig(
      "services:\n  api:\n    target: {path: deployment/api}\n    run: {command: [x]}\n",
    );
    const args = ["route", "-k", "a", "GET /", "-H", "baggage: mirrord-session=a", "--port", "80"];
    const unknown = await runCliCaptured(args, { cwd });
    assert.match(unknown.stdout, /^api {2}cannot tell/m);
    assert.match(unknown.stdout, /say --operator or --no-operator/);
    const withOperator = await runCliCaptured([...args, "--operator"], { cwd });
    assert.match(withOperator.stdout, /^api {2}steals/m);
    const without = await runCliCaptured([...args, "--no-operator"], { cwd });
    assert.match(without.stdout, /runs in one pod of deployment\/api/);
  });
});

describe("mirrord-up route asks the running up", { timeout: 120_000 }, () => {
  it("uses the run's key and live configs, not the file as it is now", async () => {
    const run = startUp(
      "services:\n  api:\n    target: {path: pod/api}\n    run: {command: [sleep, '300']}\n",
      { args: ["-k", "bob"] },
    );
    try {
      await run.waitForOutput(/ready in/);
      // The file changes under the run; the run keeps the configs it started with.
      writeFileSync(
        join(run.dir, "mirrord-up.yaml"),
        "services:\n  api:\n    target: {path: pod/api}\n    run: {command: [sleep, '300']}\n    http_filter: {path_filter: ^/nothing}\n",
      );
      const r = await runCliCaptured(
        ["route", "GET /", "-H", "baggage: mirrord-session=bob", "--format", "json", "--port", "8080"],
        { cwd: run.dir, env: { TMPDIR: run.dir }, username: "tester" },
      );
      assert.equal(r.code, 0, r.stderr);
      const answer = JSON.parse(r.stdout);
      assert.equal(answer.from, "running up");
      assert.equal(answer.services[0].verdict, "steals", r.stdout);
      assert.match(JSON.stringify(answer.services[0].reasons), /session filter for key bob/);
      const mode = await runCliCaptured(["route", "-m", "replace", "GET /", "--port", "80"], {
        cwd: run.dir,
        env: { TMPDIR: run.dir },
      });
      assert.equal(mode.code, 2);
      assert.match(mode.stderr, /-m applies to the file/);
      // The run's refusals come back as one clear message each, exit 2.
      const asRun = { cwd: run.dir, env: { TMPDIR: run.dir } };
      const unknown = await runCliCaptured(["route", "apii", "GET /", "--port", "80"], asRun);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /unknown service "apii"[\s\S]*did you mean "api"/);
      const noPort = await runCliCaptured(["route", "GET /"], asRun);
      assert.equal(noPort.code, 2);
      assert.match(noPort.stderr, /which port does the request arrive on at api\?/);
      assert.doesNotMatch(noPort.stderr, /\n\s+at /, "no stack trace");
    } finally {
      run.child.kill("SIGINT");
      await run.exited;
    }
  });
});
