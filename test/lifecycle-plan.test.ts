/**
 * Lifecycles as pure functions and as a user meets them in the file: the restart policy's
 * decisions, the dependency graph (order, cycles, selection), `ready_when` and the other fields
 * as parsed, env files as mirrord (dotenvy) reads them, and every mistake located at its line.
 */
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseEnvFile } from "../src/config/env-file.js";
import { parseRestartPolicy } from "../src/config/lifecycle-schema.js";
import { upConfigJsonSchema } from "../src/config/schema.js";
import { buildRunPlan, type SessionPlan } from "../src/plan/assemble.js";
import { findCycles, jobNames, stopGroups, withDependencies } from "../src/plan/dependencies.js";
import { planLifecycle } from "../src/plan/lifecycle.js";
import { renderMirrordJson } from "../src/plan/mirrord-json.js";
import { bannerLines } from "../src/run/banner.js";
import { backoffDelay, nextRestart } from "../src/run/restart-policy.js";
import { parseDuration } from "../src/text/duration.js";
import { runCliCaptured } from "./helpers/cli.js";
import { mirrordSchemaValidator } from "./helpers/mirrord-schema.js";
import { parseConfig } from "./helpers/parse.js";
import { tempDir, withConfig } from "./helpers/tmp.js";

const cli = (args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) =>
  runCliCaptured(args, { cwd, env: { PATH: process.env.PATH, ...env } });

describe("restart policy", () => {
  it("reads compose's syntax and nothing else", () => {
    assert.deepEqual(parseRestartPolicy("no"), { kind: "no" });
    assert.deepEqual(parseRestartPolicy("always"), { kind: "always" });
    assert.deepEqual(parseRestartPolicy("on-failure"), { kind: "on-failure" });
    assert.deepEqual(parseRestartPolicy("on-failure:5"), { kind: "on-failure", maxRetries: 5 });
    for (const bad of ["on-failure:0", "on-failure:", "on-failure:-1", "yes", "unless-stopped", "Always"]) {
      assert.equal(parseRestartPolicy(bad), undefined, bad);
    }
  });

  it("`no` never restarts; `on-failure` only after a failure; `always` after exit 0 too", () => {
    assert.equal(nextRestart({ kind: "no" }, 0, 1, 0), undefined);
    assert.equal(nextRestart({ kind: "on-failure" }, 0, 0, 0), undefined);
    assert.deepEqual(nextRestart({ kind: "on-failure" }, 0, 137, 0), { delayMs: 1000, attempt: 1 });
    assert.deepEqual(nextRestart({ kind: "always" }, 0, 0, 0), { delayMs: 1000, attempt: 1 });
  });

  it("on-failure:N restarts N times in a row, then gives up", () => {
    const policy = { kind: "on-failure", maxRetries: 2 } as const;
    assert.equal(nextRestart(policy, 0, 1, 50)?.attempt, 1);
    assert.equal(nextRestart(policy, 1, 1, 50)?.attempt, 2);
    assert.equal(nextRestart(policy, 2, 1, 50), undefined);
  });

  it("backs off from 1s, doubling, to at most 30s", () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6, 7, 50].map(backoffDelay),
      [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000],
    );
    assert.equal(nextRestart({ kind: "always" }, 3, 1, 9_999)?.delayMs, 8000);
  });

  it("a run of 10s or more starts the count afresh (also for on-failure:N)", () => {
    assert.deepEqual(nextRestart({ kind: "always" }, 7, 1, 10_000), { delayMs: 1000, attempt: 1 });
    assert.deepEqual(nextRestart({ kind: "on-failure", maxRetries: 2 }, 2, 1, 60_000), {
      delayMs: 1000,
      attempt: 1,
    });
  });
});

describe("dependency graph", () => {
  const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

  it("finds each cycle once, named from its smallest service back to it", () => {
    assert.deepEqual(findCycles(graph({ a: ["b"], b: ["a"], c: [] })), [["a", "b", "a"]]);
    assert.deepEqual(findCycles(graph({ x: ["y"], y: ["z"], z: ["x"], d: ["x"] })), [["x", "y", "z", "x"]]);
    assert.deepEqual(findCycles(graph({ a: ["b"], b: ["c"], c: [] })), []);
  });

  it("stops dependents before what they depend on, each level as one group", () => {
    const g = graph({ api: ["db", "cache"], web: ["api"], db: [], cache: [], lone: [] });
    assert.deepEqual(stopGroups(g, ["api", "cache", "db", "lone", "web"]), [
      ["web"],
      ["api"],
      ["cache", "db", "lone"],
    ]);
    // Only what is being stopped counts: without web, api is first.
    assert.deepEqual(stopGroups(g, ["api", "db"]), [["api"], ["db"]]);
    assert.deepEqual(stopGroups(graph({ a: [], b: [] }), ["a", "b"]), [["a", "b"]]);
  });

  it("selecting a service also selects what it depends on, transitively, even skip: true ones", () => {
    const config = parseConfig(`
services:
  web: {depends_on: [api], run: {command: [x]}}
  api: {depends_on: {db: {condition: service_ready}}, run: {command: [x]}}
  db: {skip: true, run: {command: [x]}}
  other: {run: {command: [x]}}`);
    assert.deepEqual(withDependencies(config, ["web"]), ["api", "db", "web"]);
    assert.deepEqual(withDependencies(config, ["other"]), ["other"]);
  });

  it("jobs are one_shot services and those waited on with service_completed_successfully", () => {
    const config = parseConfig(`
services:
  migrate: {run: {command: [x]}}
  seed: {one_shot: true, run: {command: [x]}}
  api: {depends_on: {migrate: {condition: service_completed_successfully}, seed: {}}, run: {command: [x]}}`);
    const plans = buildRunPlan(config, { key: "k", services: [] }).sessions;
    const jobs = jobNames(plans.map((p) => ({ name: p.name, ...p.lifecycle })));
    assert.deepEqual([...jobs].sort(), ["migrate", "seed"]);
  });
});

describe("lifecycle fields as parsed", () => {
  it("both depends_on forms, ready_when with defaults, durations, common's restart and env_file", () => {
    const config = parseConfig(`
common: {restart: on-failure:3, env_file: common.env}
services:
  a:
    depends_on: [b, c]
    ready_when: {port: 8080}
    run: {command: [x], working_dir: ../src}
  b:
    restart: always
    env_file: b.env
    depends_on: {c: {condition: service_completed_successfully}}
    ready_when: {log: "listening on :\\\\d+", interval: 250ms, timeout: 1m30s}
    run: {command: [x]}
  c: {one_shot: true, ready_when: {command: [pg_isready]}, run: {command: [x]}}`);
    const a = planLifecycle("a", config.services.a!, config.common ?? {});
    assert.deepEqual(a.restart, { kind: "on-failure", maxRetries: 3 });
    assert.deepEqual(
      a.dependsOn.map((d) => [d.service, d.condition]),
      [
        ["b", "service_started"],
        ["c", "service_started"],
      ],
    );
    assert.deepEqual(a.readyWhen, {
      check: { kind: "port", port: 8080 },
      intervalMs: 1000,
      timeoutMs: 60_000,
    });
    assert.deepEqual(a.workingDir, { path: "../src", from: ["services", "a", "run", "working_dir"] });
    assert.deepEqual(a.envFile, { path: "common.env", from: ["common", "env_file"] });
    const b = planLifecycle("b", config.services.b!, config.common ?? {});
    assert.deepEqual(b.restart, { kind: "always" });
    assert.equal(b.dependsOn[0]?.condition, "service_completed_successfully");
    assert.deepEqual(b.readyWhen, {
      check: { kind: "log", pattern: "listening on :\\d+" },
      intervalMs: 250,
      timeoutMs: 90_000,
    });
    assert.equal(b.envFile?.path, "b.env");
    const c = planLifecycle("c", config.services.c!, {});
    assert.equal(c.oneShot, true);
    assert.deepEqual(c.restart, { kind: "no" });
    assert.deepEqual(c.readyWhen?.check, { kind: "command", command: ["pg_isready"] });
  });

  it("durations: units, sums, bare seconds; nothing else", () => {
    assert.equal(parseDuration("500ms"), 500);
    assert.equal(parseDuration("2s"), 2000);
    assert.equal(parseDuration("1.5s"), 1500);
    assert.equal(parseDuration("1m30s"), 90_000);
    assert.equal(parseDuration("2"), 2000);
    for (const bad of ["", "s", "1 s", "1x", "-1s", "1s2"]) assert.equal(parseDuration(bad), undefined, bad);
  });

  it("the published JSON Schema knows the new fields", () => {
    const schema = JSON.stringify(upConfigJsonSchema());
    for (const field of ["restart", "depends_on", "one_shot", "ready_when", "env_file", "working_dir"]) {
      assert.ok(schema.includes(`"${field}"`), field);
    }
  });
});

describe("lifecycle mistakes are located, one message each", () => {
  async function errorsOf(text: string, files: Record<string, string> = {}) {
    const dir = withConfig(text);
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    const r = await cli(["validate", "-k", "k"], dir);
    assert.equal(r.code, 2, r.stdout);
    return r.stderr;
  }

  it("an unknown dependency, with the closest name", async () => {
    const err = await errorsOf(`services:
  api:
    depends_on: [dbb]
    run: {command: [x]}
  db:
    run: {command: [x]}
`);
    assert.match(
      err,
      /mirrord-up\.yaml:3:18: error: `api` depends on "dbb", which is not a service in this file/,
    );
    assert.match(err, /did you mean "db"\?/);
  });

  it("a cycle, named a → b → a, at the entry that closes it", async () => {
    const err = await errorsOf(`services:
  a:
    depends_on: [b]
    run: {command: [x]}
  b:
    depends_on:
      a: {condition: service_ready}
    run: {command: [x]}
`);
    assert.match(err, /mirrord-up\.yaml:3:\d+: error: dependency cycle: a → b → a/);
    assert.equal(err.match(/error:/g)?.length, 1, err);
  });

  it("a service depending on itself", async () => {
    const err = await errorsOf(`services:\n  a: {depends_on: [a], run: {command: [x]}}\n`);
    assert.match(err, /:2:\d+: error: `a` depends on itself/);
  });

  it("wrong values: restart, condition, ready_when with two checks or none, a bad log regex, a bad duration", async () => {
    const err = await errorsOf(`services:
  a:
    restart: unless-stopped
    depends_on: {b: {condition: service_healthy}}
    ready_when: {port: 80, http: "http://127.0.0.1/"}
    run: {command: [x]}
  b:
    ready_when: {interval: 1s}
    run: {command: [x]}
  c:
    ready_when: {log: "a(b", timeout: soon}
    run: {command: [x]}
`);
    assert.match(err, /:3:\d+: error: services\.a\.restart: restart is no, on-failure, on-failure:N/);
    assert.match(err, /use always/);
    assert.match(
      err,
      /:4:\d+: error: .*condition is service_started, service_ready, service_completed_successfully/,
    );
    assert.match(err, /did you mean "service_ready"\?/);
    assert.match(err, /:5:\d+: error: .*ready_when sets both `port` and `http`; give one check/);
    assert.match(err, /:8:\d+: error: .*ready_when needs one check: port, http, log or command/);
    assert.match(err, /:11:\d+: error: .*invalid regular expression: unclosed group/);
    assert.match(err, /:11:\d+: error: .*timeout is a positive duration/);
  });

  it("env_file and env.env_file together; env.env_file on a local service points to env_file", async () => {
    const err = await errorsOf(`services:
  a:
    env_file: a.env
    env: {env_file: b.env}
    run: {command: [x]}
  l:
    env: {env_file: l.env}
    run: {type: local, command: [x]}
`);
    assert.match(err, /:4:\d+: error: .*both `env_file` and `env.env_file` are set/);
    assert.match(err, /:7:\d+: error: .*`env.env_file` needs mirrord[\s\S]*use `env_file:` on the service/);
  });

  it("a missing working directory and a missing env file, at their lines, before anything starts", async () => {
    const err = await errorsOf(`services:
  a:
    env_file: nope.env
    run: {command: [x], working_dir: ./missing}
`);
    assert.match(
      err,
      /mirrord-up\.yaml:4:\d+: error: services\.a\.run\.working_dir: the working directory does not exist/,
    );
    assert.match(
      err,
      /mirrord-up\.yaml:3:\d+: error: services\.a\.env_file: the env file does not exist \(nope\.env\)/,
    );
  });

  it("a broken line of an env file, at its own line and column", async () => {
    const err = await errorsOf(`services:\n  a: {env_file: app.env, run: {command: [x]}}\n`, {
      "app.env": "# settings\nGOOD=1\nBAD=two words\n",
    });
    assert.match(err, /app\.env:3:9: error: BAD: a value with spaces must be quoted/);
  });
});

describe("env files as mirrord (dotenvy) reads them", () => {
  it("KEY=VALUE, export, comments, quotes, escapes, empty values", () => {
    const { vars, problems } = parseEnvFile(
      [
        "# a comment",
        "",
        "A=1",
        "export B=two",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: dotenv syntax
        "C='single $NOT ${SUB}'",
        'D="double \\"quoted\\" \\n line"',
        "E=x # trailing comment",
        "F=a#b",
        "G=",
        "H=   # only a comment",
        "  I = spaced  ",
        "export=as-a-key",
        "J.K=dotted",
      ].join("\n"),
      {},
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(vars, {
      A: "1",
      B: "two",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: dotenv syntax
      C: "single $NOT ${SUB}",
      D: 'double "quoted" \n line',
      E: "x",
      F: "a#b",
      G: "",
      H: "",
      I: "spaced",
      export: "as-a-key",
      "J.K": "dotted",
    });
  });

  it("substitutes $NAME and {NAME} after a $: mirrord-up's environment first, then the lines above", () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: dotenv syntax
    const { vars } = parseEnvFile("USER=file\nA=${USER}-x\nB=$HOST_1/y\nC=${MISSING}z\nD=\\$literal", {
      USER: "env",
      HOST: "h",
    });
    // $NAME takes letters and digits only (dotenvy): $HOST_1 is $HOST then "_1".
    assert.deepEqual(vars, { USER: "file", A: "env-x", B: "h_1/y", C: "z", D: "$literal" });
  });

  it("a quoted value may span lines", () => {
    const { vars, problems } = parseEnvFile('KEY="line one\nline two"\nNEXT=1\n', {});
    assert.deepEqual(problems, []);
    assert.deepEqual(vars, { KEY: "line one\nline two", NEXT: "1" });
  });

  it("what dotenvy refuses is a problem with line and column", () => {
    const { problems } = parseEnvFile("OK=1\n1BAD=x\nA B=c\nQ='open\n", {});
    assert.deepEqual(
      problems.map((p) => [p.line, p.col]),
      [
        [2, 1],
        [3, 3],
        [4, 3],
      ],
    );
  });
});

describe("working_dir and env_file in the plan", () => {
  it("paths are resolved against the config file's directory; mirrord sessions get feature.env.env_file", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "sub", "app"), { recursive: true });
    writeFileSync(
      join(dir, "sub", "mirrord-up.yaml"),
      `services:
  api:
    target: {path: deployment/api}
    env_file: conf/api.env
    run: {command: [node, app.js], working_dir: app}
  web:
    env_file: conf/api.env
    run: {type: local, command: [node, web.js]}
`,
    );
    mkdirSync(join(dir, "sub", "conf"), { recursive: true });
    writeFileSync(join(dir, "sub", "conf", "api.env"), "TOKEN=abc\n");
    const r = await cli(
      ["config", "-f", "sub/mirrord-up.yaml", "-k", "k", "--format", "json", "--no-resolve"],
      dir,
    );
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    const api = doc.services.api;
    assert.equal(api.config.feature.env.env_file, join(dir, "sub", "conf", "api.env"));
    assert.equal(api.lifecycle.working_dir, join(dir, "sub", "app"));
    assert.equal(doc.services.web.lifecycle.env_file, join(dir, "sub", "conf", "api.env"));
    // What `up` hands to mirrord still validates against mirrord's own schema.
    const validate = mirrordSchemaValidator();
    assert.ok(validate(JSON.parse(renderMirrordJson(api.config))), JSON.stringify(validate.errors));
  });

  it("config shows each service's lifecycle in the file's own words", async () => {
    const dir = withConfig(`services:
  db: {run: {type: local, command: [x]}, ready_when: {port: 5432, timeout: 30s}, restart: on-failure:3}
  api: {depends_on: {db: {condition: service_ready}}, one_shot: true, run: {command: [x]}}
`);
    const r = await cli(["config", "-k", "k", "--format", "json", "--no-resolve"], dir);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.deepEqual(doc.services.db.lifecycle, {
      restart: "on-failure:3",
      ready_when: { port: 5432, interval: "1s", timeout: "30s" },
    });
    assert.deepEqual(doc.services.api.lifecycle, {
      depends_on: { db: { condition: "service_ready" } },
      one_shot: true,
    });
  });
});

describe("the ready banner", () => {
  const plans = () =>
    buildRunPlan(
      parseConfig(`
services:
  api: {target: {path: deployment/api}, ready_when: {port: 8080}, run: {command: [x]}}
  web: {target: {path: deployment/web}, http_filter: {header_filter: "^x-user: bob$"}, run: {command: [x]}}
  admin: {target: {path: deployment/admin}, http_filter: {path_filter: "^/admin", ports: [80]}, run: {command: [x]}}
  jobs: {run: {type: local, command: [x]}}`),
      { key: "alice", services: [] },
    ).sessions;

  it("names the session header, a real local address when one is known, and what each custom filter steals", () => {
    const text = bannerLines(plans(), { name: "baggage", value: "mirrord-session=alice" }, "2.0s")
      .map((l) => l.text)
      .join("\n");
    assert.match(text, /^mirrord-up: all 4 services ready in 2\.0s$/m);
    assert.match(text, /send requests with the header {2}baggage: mirrord-session=alice/);
    assert.match(text, /curl -H 'baggage: mirrord-session=alice' http:\/\/127\.0\.0\.1:8080\//);
    assert.match(text, /^ {2}web {4}steals requests with header \^x-user: bob\$$/m);
    assert.match(text, /^ {2}admin {2}steals requests with path \^\/admin on port 80$/m);
    assert.doesNotMatch(text, /jobs/);
  });

  it("counts sessions when all are mirrord's, services once a local one is among them; one is not 'all'", () => {
    const byName = (name: string) => plans().find((p) => p.name === name) as SessionPlan;
    const [api, web, jobs] = [byName("api"), byName("web"), byName("jobs")];
    const first = (list: SessionPlan[]) => bannerLines(list, undefined, "1.0s")[0]?.text;
    assert.equal(first([api]), "mirrord-up: 1 session ready in 1.0s");
    assert.equal(first([jobs]), "mirrord-up: 1 service ready in 1.0s");
    assert.equal(first([api, web]), "mirrord-up: all 2 sessions ready in 1.0s");
    assert.equal(first([api, jobs]), "mirrord-up: all 2 services ready in 1.0s");
  });

  it("lists services in code-unit order, as ps and the upstream command's lists (not the locale's)", () => {
    const sessions = buildRunPlan(
      parseConfig(`
services:
  web: {target: {path: deployment/web}, http_filter: {header_filter: "^a$"}, run: {command: [x]}}
  Zed: {target: {path: deployment/zed}, http_filter: {header_filter: "^b$"}, run: {command: [x]}}
  admin: {target: {path: deployment/admin}, http_filter: {header_filter: "^c$"}, run: {command: [x]}}`),
      { key: "alice", services: [] },
    ).sessions;
    const names = bannerLines(sessions, undefined, "1s")
      .slice(1)
      .map((l) => l.text.trim().split(" ")[0]);
    // localeCompare would put Zed last.
    assert.deepEqual(names, ["Zed", "admin", "web"]);
  });

  it("ends with the dashboard's address when it is served, and says nothing of it otherwise", () => {
    const url = "http://127.0.0.1:40321/#token=abc";
    const lines = bannerLines(plans(), undefined, "1s", url).map((l) => l.text);
    assert.equal(lines.at(-1), `  dashboard: ${url}`);
    assert.ok(!bannerLines(plans(), undefined, "1s").some((l) => l.text.includes("dashboard")));
  });

  it("without a known address the curl line keeps a placeholder", () => {
    const withoutPort = plans().map((p) =>
      p.name === "api" ? { ...p, lifecycle: { ...p.lifecycle, readyWhen: undefined } } : p,
    );
    const text = bannerLines(withoutPort, { name: "baggage", value: "mirrord-session=alice" }, "1s")
      .map((l) => l.text)
      .join("\n");
    assert.match(text, /http:\/\/<service>\//);
  });
});
