/**
 * The control protocol as a contract: the published OpenAPI document is the one generated from
 * src/control/contract.ts, the client's validator judges as ajv does, and a client facing an `up`
 * of another protocol version (a fake one on a real Unix socket) says so.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Ajv2020 } from "ajv/dist/2020.js";
import { ControlClient, locateInstance } from "../src/control/client.js";
import { API_VERSION, ROUTES, SCHEMAS } from "../src/control/contract.js";
import { openApiDocument } from "../src/control/openapi.js";
import { ensureRuntimeDir } from "../src/control/runtime-dir.js";
import { type JsonSchema, schemaProblem } from "../src/control/schema.js";
import { UserError } from "../src/core/errors.js";
import { OPENAPI_FILE } from "./helpers/contract.js";
import { killMarked, MARKER_VAR, newMarker } from "./helpers/processes.js";
import { runBin } from "./helpers/ps.js";
import { service } from "./helpers/run-control-stub.js";
import { tempDir } from "./helpers/tmp.js";

const marker = newMarker();
after(() => killMarked(marker));

describe("the OpenAPI document", () => {
  it("docs/control-api.openapi.json is what `npm run openapi` generates from the contract", () => {
    assert.equal(
      readFileSync(OPENAPI_FILE, "utf8"),
      `${JSON.stringify(openApiDocument(), null, 2)}\n`,
      "run `npm run openapi` and commit the result",
    );
  });

  it("says the protocol version in info.version and in every path", () => {
    const doc = openApiDocument() as { openapi: string; info: { version: string }; paths: object };
    assert.equal(doc.openapi, "3.1.0");
    assert.equal(doc.info.version, String(API_VERSION));
    for (const path of Object.keys(doc.paths)) assert.match(path, new RegExp(`^/v${API_VERSION}/`));
  });

  it("holds a schema for every message, each valid JSON Schema with no unknown keyword (ajv, strict)", () => {
    const ajv = new Ajv2020({ strict: true });
    for (const [name, schema] of Object.entries(SCHEMAS))
      assert.doesNotThrow(() => ajv.compile(schema), name);
    const named = new Set(Object.values(SCHEMAS) as JsonSchema[]);
    for (const [name, route] of Object.entries(ROUTES)) {
      assert.ok(named.has(route.response), `${name}'s answer is a named message`);
    }
  });
});

/** A conforming value of each message. */
const SAMPLES: Record<keyof typeof SCHEMAS, unknown> = {
  InfoResponse: {
    api: 1,
    pid: 12,
    file: "/w/mirrord-up.yaml",
    key: "alice",
    started: "2024-01-01T00:00:00.000Z",
    sessionHeader: "baggage: mirrord-session=alice",
    starting: false,
  },
  ServiceStatus: service("api"),
  ServicesResponse: {
    services: [service("api"), service("web", { type: "local", state: "failed", pid: null, exit_code: 1 })],
  },
  LogEntry: { seq: 1, service: "api", stream: "stdout", time: 1700000000000, text: "hello\n" },
  RunEvent: { time: 1, service: "api", kind: "restarted", by: "request", detail: "pid 1 → 2" },
  EndFrame: { end: "too-slow", error: "cut off" },
  ActionRequest: { services: ["api"] },
  ActionDone: { ok: true, messages: ["api: restarted"] },
  ActionRefused: { ok: false, errors: ["mirrord-up.yaml:3:5: error: unknown key"] },
  KillRequest: { services: ["api"], signal: "SIGTERM", group: true },
  ProcessRow: processRow(),
  ServiceProcesses: {
    name: "api",
    pid: 12,
    processes: [processRow(), processRow({ in_group: false, rss_bytes: null })],
  },
  TopResponse: { services: [{ name: "web", pid: null, processes: [] }] },
  DashboardRequest: { port: 8080 },
  DashboardResponse: { url: "http://127.0.0.1:1/#token=t", started: true },
  ServiceConfigView: {
    name: "api",
    type: "exec",
    command: ["node", "app.js"],
    config: { feature: {} },
    env: { A: "x" },
    curl: "curl http://api/",
  },
  ConfigsResponse: { services: [{ name: "web", type: "local", command: ["npm", "start"] }] },
  RouteReason: { text: "header line matches", source: "mirrord/agent/src/http/filter.rs:300-309" },
  RouteRequest: {
    services: ["api"],
    method: "GET",
    target: "/a?b=1",
    headers: [{ name: "baggage", value: "mirrord-session=alice" }],
    port: 8080,
    operator: true,
  },
  RouteAnswer: {
    services: [
      {
        service: "api",
        port: 8080,
        target: "pod/api",
        verdict: "steals",
        reasons: [{ text: "matches", source: "mirrord/agent/src/http/filter.rs:61" }],
      },
    ],
    conflicts: [{ services: ["a", "b"], target: "pod/x", port: 80, text: "both match", source: "s.rs:1" }],
    summary: "stolen by api",
  },
  ErrorResponse: { error: 'unknown service "apii"', hint: 'did you mean "api"?' },
};

function processRow(fields: Record<string, unknown> = {}) {
  return {
    pid: 13,
    ppid: 12,
    pgid: 12,
    in_group: true,
    cpu_percent: 0.5,
    cpu_seconds: 1.25,
    rss_bytes: 4096,
    command: "node app.js",
    ...fields,
  };
}

const REPLACEMENTS: unknown[] = [null, "x", "", 1.5, 7, -1, 70000, 0, true, false, [], ["x"], [7], {}];

/** `value` with one thing changed: each field (at any depth) removed, or replaced by each of REPLACEMENTS. */
function* mutations(value: unknown): Generator<unknown> {
  for (const replacement of REPLACEMENTS) yield replacement;
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      for (const changed of mutations(item)) yield value.map((x, j) => (j === i ? changed : x));
    }
  } else if (typeof value === "object" && value !== null) {
    for (const [key, field] of Object.entries(value)) {
      const { [key]: _, ...without } = value as Record<string, unknown>;
      yield without;
      for (const changed of mutations(field)) yield { ...value, [key]: changed };
    }
  }
}

describe("the client's validator", () => {
  it("judges every sample and each of its mutations as ajv does", () => {
    const ajv = new Ajv2020({ strict: true });
    let valid = 0;
    let invalid = 0;
    for (const [name, schema] of Object.entries(SCHEMAS)) {
      const sample = SAMPLES[name as keyof typeof SCHEMAS];
      const check = ajv.compile(schema);
      assert.equal(schemaProblem(schema, sample), undefined, `${name}: the sample conforms`);
      for (const value of [sample, ...mutations(sample)]) {
        const byAjv = check(value);
        const problem = schemaProblem(schema, value);
        assert.equal(
          problem === undefined,
          byAjv,
          `${name}: ${JSON.stringify(value)}: ${problem ?? "valid"}`,
        );
        if (byAjv) valid++;
        else invalid++;
      }
    }
    // Both verdicts are exercised, many times each.
    assert.ok(valid > 100 && invalid > 500, `${valid} valid, ${invalid} invalid`);
  });

  it("names where a value breaks its schema", () => {
    const missing = { services: [service("api"), { ...service("web"), restarts: undefined }] };
    assert.equal(
      schemaProblem(SCHEMAS.ServicesResponse, JSON.parse(JSON.stringify(missing))),
      "services[1].restarts: missing",
    );
    assert.equal(
      schemaProblem(SCHEMAS.LogEntry, { ...(SAMPLES.LogEntry as object), stream: "tty" }),
      'stream: "tty", expected one of "stdout", "stderr", "status"',
    );
  });
});

/** A fake `up` for a fresh project: plain answers per path, on the socket a client looks for. */
async function fakeUp(answers: Record<string, { status?: number; body: string; type?: string }>) {
  const dir = tempDir();
  writeFileSync(join(dir, "mirrord-up.yaml"), "services: {}\n");
  const env = { MIRRORD_UP_RUNTIME_DIR: join(dir, "run") };
  ensureRuntimeDir(env, dir);
  const instance = locateInstance(undefined, env, dir);
  const server: Server = createServer((req, res) => {
    req.resume();
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const answer = answers[path] ?? {
      status: 404,
      body: JSON.stringify({ error: `no such endpoint: ${path}` }),
    };
    res.writeHead(answer.status ?? 200, { "content-type": answer.type ?? "application/json" });
    res.end(answer.body);
  });
  await new Promise<void>((resolve) => server.listen(instance.socketPath, resolve));
  after(() => new Promise((resolve) => server.close(resolve)));
  return { dir, env, client: new ControlClient(instance) };
}

const info = (api: unknown) => ({ body: JSON.stringify({ api, pid: 4242, file: "/w/mirrord-up.yaml" }) });

async function rejection(promise: Promise<unknown>): Promise<UserError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  assert.fail("expected a UserError");
}

describe("a client and an up of another protocol version", () => {
  it("an older up whose answer misses a field: 'the running up speaks protocol v0, this client v1'", async () => {
    // Before `restarts` and the rest: the shape an older up might send.
    const { client } = await fakeUp({
      "/v1/info": info(0),
      "/v1/services": { body: JSON.stringify({ services: [{ name: "api", state: "running", pid: 1 }] }) },
    });
    const error = await rejection(client.get("/v1/services"));
    assert.equal(
      error.message,
      "the running up speaks protocol v0, this client v1 (mirrord-up.yaml): its answer to GET /v1/services " +
        "does not fit: services[0].type: missing",
    );
    assert.match(
      error.diagnostics[0]?.hint ?? "",
      /restart it with this version \(`mirrord-up down`, then `mirrord-up`\)/,
    );
    assert.equal(error.exitCode, 2);
  });

  it("a newer up without a route this client calls says its version, not 'no such endpoint'", async () => {
    const { client } = await fakeUp({ "/v1/info": info(2) });
    const error = await rejection(client.get("/v1/services"));
    assert.equal(
      error.message,
      "the running up speaks protocol v2, this client v1 (mirrord-up.yaml): it has no GET /v1/services",
    );
  });

  it("its own /v1/info of another version is refused as such", async () => {
    const { client } = await fakeUp({ "/v1/info": info(2) });
    assert.match(
      (await rejection(client.get("/v1/info"))).message,
      /^the running up speaks protocol v2, this client v1 \(mirrord-up.yaml\): its answer to GET \/v1\/info does not fit: api: 2, expected 1/,
    );
  });

  it("a stream line that breaks the contract ends the stream with the versions, even when they are equal", async () => {
    const lines = [
      { seq: 1, service: "api", stream: "stdout", time: 1, text: "ok\n" },
      { service: "api", stream: "stdout", time: 2, text: "no seq\n" },
      { end: "complete" },
    ];
    const { client } = await fakeUp({
      "/v1/info": info(1),
      "/v1/logs": { body: lines.map((l) => `${JSON.stringify(l)}\n`).join(""), type: "application/x-ndjson" },
    });
    const got: string[] = [];
    const error = await rejection(client.stream("/v1/logs", "", (entry) => got.push(entry.text)).done);
    assert.equal(
      error.message,
      "the running up speaks protocol v1, this client v1 (mirrord-up.yaml): its answer to GET /v1/logs " +
        "does not fit: a line of its stream: seq: missing",
    );
    assert.deepEqual(got, ["ok\n"], "what came before the bad line was delivered");
  });

  it("an up that does not say its version is named as such", async () => {
    const { client } = await fakeUp({ "/v1/info": { body: "{}" }, "/v1/services": { body: "{}" } });
    assert.match(
      (await rejection(client.get("/v1/services"))).message,
      /^the running up does not say which protocol it speaks, this client v1 .*services: missing/,
    );
  });

  it("fields a newer up adds are ignored: additions are compatible", async () => {
    const { client } = await fakeUp({
      "/v1/services": { body: JSON.stringify({ services: [{ ...service("api"), cpu: 3 }], cursor: "x" }) },
    });
    assert.equal((await client.get("/v1/services")).services[0]?.name, "api");
  });

  it("`mirrord-up ps` against an older up: the message and its hint on stderr, exit 2", async () => {
    const { dir, env } = await fakeUp({
      "/v1/info": info(0),
      "/v1/services": { body: JSON.stringify({ services: [{ name: "api" }] }) },
    });
    const { code, stderr } = await runBin(["ps"], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, [MARKER_VAR]: marker },
    });
    assert.equal(code, 2, stderr);
    assert.match(stderr, /the running up speaks protocol v0, this client v1/);
    assert.match(stderr, /restart it with this version/);
  });
});
