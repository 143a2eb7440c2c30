/**
 * `doctor`'s sessions check, in-process: certain conflicts (an unfiltered steal against another
 * session on the target and port; two stealers on one target without the operator), and filtered
 * conflicts reported only with a concrete request the route decision says both steal; then the
 * same through the CLI against the small API server, which tells whether the operator is there.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { describe, it } from "node:test";
import { runDoctorCommand } from "../src/cli/doctor-command.js";
import { buildRunPlan, type SessionPlan } from "../src/plan/assemble.js";
import {
  type CandidateRequest,
  candidateRequests,
  findConflicts,
  literalOf,
  type RouteDecider,
  routeVerdicts,
} from "../src/plan/conflicts.js";
import type { RouteVerdict } from "../src/plan/route.js";
import { line, READY_API, type Report, setup } from "./helpers/doctor.js";
import { parseConfig } from "./helpers/parse.js";

function sessions(yaml: string): SessionPlan[] {
  return buildRunPlan(parseConfig(yaml), { key: "alice", services: [] }).sessions;
}

/** The operator present, and `route`'s own decision. */
const withOperator = { operator: () => true, route: routeVerdicts };

/** A route decision that steals exactly the requests `steals` accepts, per service. */
function decider(
  steals: Record<string, (r: CandidateRequest) => boolean>,
  asked: CandidateRequest[] = [],
): RouteDecider {
  return (_sessions, request) => {
    asked.push(request);
    return new Map(
      Object.entries(steals).map(([name, f]): [string, RouteVerdict] => [
        name,
        f(request) ? "steals" : "passes",
      ]),
    );
  };
}

const header = (r: CandidateRequest, name: string) =>
  r.headers.find((h) => h.name.toLowerCase() === name)?.value;

describe("doctor: sessions against each other", () => {
  it("a replace-mode session conflicts with any other session on its target", () => {
    const report = findConflicts(
      sessions(`services:
  api: {default_mode: replace, target: {path: deployment/api}, run: {command: [a]}}
  api2: {target: {path: deployment/api}, run: {command: [b]}}
`),
      withOperator,
    );
    assert.equal(report.conflicts.length, 1);
    assert.deepEqual(report.conflicts[0]?.services, ["api", "api2"]);
    assert.match(
      report.conflicts[0]?.why ?? "",
      /api is in replace mode: it steals every request on every port/,
    );
  });

  it("a port outside http_filter.ports is stolen unfiltered: it conflicts with a session filtering on that port", () => {
    const yaml = `services:
  a: {target: {path: deployment/api}, http_filter: {header_filter: '^x-a: 1$', ports: [80]}, run: {command: [a]}}
  b: {target: {path: deployment/api}, http_filter: {header_filter: '^x-b: 1$', ports: [8080]}, run: {command: [b]}}
`;
    const report = findConflicts(sessions(yaml), withOperator);
    assert.equal(report.conflicts.length, 1);
    assert.match(report.conflicts[0]?.where ?? "", /deployment\/api, port 8080/);
    assert.match(report.conflicts[0]?.why ?? "", /a's http_filter.ports leaves port 8080 out/);
    // Each ignoring the other's port: neither steals it, no certain conflict.
    const ignoring = yaml
      .replace("ports: [80]}", "ports: [80]}, ignore_ports: [8080]")
      .replace("ports: [8080]}", "ports: [8080]}, ignore_ports: [80]");
    const ignored = findConflicts(sessions(ignoring), withOperator);
    assert.equal(ignored.conflicts.length, 0);
  });

  it("two stealing sessions on one target without the operator conflict; on different targets they do not", () => {
    const yaml = `services:
  a: {target: {path: deployment/api}, run: {command: [a]}}
  b: {target: {path: deployment/api/container/main}, http_filter: {header_filter: '^x-b: 1$'}, run: {command: [b]}}
  c: {target: {path: deployment/web}, run: {command: [c]}}
`;
    const report = findConflicts(sessions(yaml), { operator: () => false, route: routeVerdicts });
    assert.equal(report.conflicts.length, 1);
    assert.deepEqual(report.conflicts[0]?.services, ["a", "b"]);
    assert.match(report.conflicts[0]?.why ?? "", /without the mirrord operator/);
    // Not known (the cluster was not reached): no claim either way.
    assert.equal(
      findConflicts(sessions(yaml), { operator: () => undefined, route: routeVerdicts }).conflicts.length,
      0,
    );
  });

  it("filtered sessions conflict only with a request both steal, and the report names it", () => {
    const yaml = `services:
  a: {target: {path: deployment/api}, http_filter: {header_filter: '^x-user: alice$'}, run: {command: [a]}}
  b: {target: {path: deployment/api}, http_filter: {path_filter: '^/api/.*'}, run: {command: [b]}}
`;
    const asked: CandidateRequest[] = [];
    const route = decider(
      { a: (r) => header(r, "x-user") === "alice", b: (r) => r.path.startsWith("/api/") },
      asked,
    );
    const none = findConflicts(sessions(yaml), { ...withOperator, route });
    assert.equal(none.conflicts.length, 0);
    // The candidates: one request from each filter's literal parts.
    assert.deepEqual(
      asked.map((r) => [r.method, r.path, r.headers]),
      [
        ["GET", "/", [{ name: "x-user", value: "alice" }]],
        ["GET", "/api/", []],
      ],
    );
    // A decision that says both steal the second candidate: a conflict with that request.
    const both = decider({ a: () => true, b: (r) => r.path.startsWith("/api/") });
    const found = findConflicts(sessions(yaml), { ...withOperator, route: both });
    assert.equal(found.conflicts.length, 1);
    assert.equal(found.conflicts[0]?.request?.path, "/api/");
    assert.match(found.conflicts[0]?.why ?? "", /both steal GET \/api\/ \(built from b's http_filter\)/);
  });

  it("cannot-tell is never a conflict", () => {
    const yaml = `services:
  a: {target: {path: deployment/api}, http_filter: {header_filter: '^x-user: alice$'}, run: {command: [a]}}
  b: {target: {path: deployment/api}, http_filter: {header_filter: '^x-user: ali'}, run: {command: [b]}}
`;
    const route: RouteDecider = () =>
      new Map<string, RouteVerdict>([
        ["a", "steals"],
        ["b", "cannot-tell"],
      ]);
    assert.equal(findConflicts(sessions(yaml), { ...withOperator, route }).conflicts.length, 0);
  });

  it("sessions with the default filter are asked about the session header", () => {
    const two = sessions(`services:
  a: {target: {path: deployment/api}, run: {command: [a]}}
  b: {target: {path: deployment/api}, run: {command: [b]}}
`);
    assert.deepEqual(candidateRequests(two), [
      {
        method: "GET",
        path: "/",
        headers: [{ name: "baggage", value: "mirrord-session=alice" }],
        origin: "a's session header",
      },
    ]);
    const route = decider({
      a: (r) => header(r, "baggage") === "mirrord-session=alice",
      b: (r) => header(r, "baggage") === "mirrord-session=alice",
    });
    const report = findConflicts(two, { ...withOperator, route });
    assert.equal(report.conflicts.length, 1);
    assert.match(report.conflicts[0]?.why ?? "", /baggage: mirrord-session=alice/);
  });

  it("route's own decision: filters that both select the first one's request conflict; disjoint ones do not", () => {
    const yaml = (b: string) => `services:
  a: {target: {path: deployment/api}, http_filter: {header_filter: '^x-user: alice$'}, run: {command: [a]}}
  b: {target: {path: deployment/api}, http_filter: {header_filter: '${b}'}, run: {command: [b]}}
`;
    const overlapping = findConflicts(sessions(yaml("^x-user: .*")), withOperator);
    assert.equal(overlapping.conflicts.length, 1);
    assert.match(
      overlapping.conflicts[0]?.why ?? "",
      /both steal GET \/ with x-user: alice \(built from a's http_filter\)/,
    );
    const disjoint = findConflicts(sessions(yaml("^x-user: bob$")), withOperator);
    assert.deepEqual(disjoint, { conflicts: [], asked: 2 });
  });

  it("filters on ports with none in common are not compared: no request reaches both", () => {
    const report = findConflicts(
      sessions(`services:
  a: {target: {path: deployment/api}, http_filter: {header_filter: '^x: 1$', ports: [80]}, ignore_ports: [8080], run: {command: [a]}}
  b: {target: {path: deployment/api}, http_filter: {header_filter: '^x: 1$', ports: [8080]}, ignore_ports: [80], run: {command: [b]}}
`),
      withOperator,
    );
    assert.deepEqual(report, { conflicts: [], asked: 0 });
  });

  it("literal parts of a regex: anchors and wildcards dropped, escapes taken, cut at a choice", () => {
    assert.equal(literalOf("^x-user: alice$"), "x-user: alice");
    assert.equal(literalOf("(?i)^/api/v1/.*"), "/api/v1/");
    assert.equal(literalOf("^/a\\.b/(x|y)"), "/a.b/");
    assert.equal(literalOf("^/items/\\d+"), "/items/");
    assert.equal(literalOf(".+-ok"), "x-ok");
  });
});

/** `doctor --format json` on `config`, against a cluster with deployment/api ready (and the operator, if asked). */
async function doctorOn(config: string, operator = false) {
  const { doctor } = await setup(config, {
    operator,
    namespaces: { shop: { deployments: ["api"], pods: [READY_API] } },
  });
  return doctor();
}

describe("doctor: sessions, through the CLI against the small API server", () => {
  it("two sessions stealing from one target, one of them inferred, without the operator: a problem", async () => {
    const config = `services:
  api:
    run: {command: [sh, -c, 'true']}
  api-debug:
    target: {path: deployment/api, namespace: shop}
    http_filter: {header_filter: '^x-debug: 1$'}
    run: {command: [sh, -c, 'true']}
`;
    const { code, report } = await doctorOn(config);
    assert.equal(code, 1);
    const l = line(report, "conflicts", "problem");
    assert.match(
      l.message,
      /^api and api-debug would steal the same requests on deployment\/api in "shop" \(context "dev"\): .*without the mirrord operator/,
    );
    assert.match(l.hint ?? "", /run one of them at a time/);
  });

  it("with the operator, filtered sessions that route tells apart: no conflict found, with the requests asked", async () => {
    const config = `services:
  a: {target: {path: deployment/api}, run: {command: [sh, -c, 'true']}}
  b: {target: {path: deployment/api}, http_filter: {path_filter: '^/b'}, run: {command: [sh, -c, 'true']}}
`;
    const { code, report } = await doctorOn(config, true);
    assert.equal(code, 0);
    assert.equal(line(report, "conflicts", "ok").message, "no conflict found (2 candidate requests asked)");
  });

  it("with the operator, a request route proves both would steal is a problem naming it", async () => {
    const config = `services:
  a: {target: {path: deployment/api}, http_filter: {header_filter: '^x-user: alice$'}, run: {command: [sh, -c, 'true']}}
  b: {target: {path: deployment/api}, http_filter: {any_of: [{header: '^x-user: '}, {path: '^/admin'}]}, run: {command: [sh, -c, 'true']}}
`;
    const { code, report } = await doctorOn(config, true);
    assert.equal(code, 1);
    const l = line(report, "conflicts", "problem");
    assert.match(
      l.message,
      /^a and b would steal the same requests on deployment\/api in "shop" \(context "dev"\): both steal GET \/ with x-user: alice/,
    );
    assert.deepEqual(l.services, ["a", "b"]);
  });

  it("sessions on different targets: no conflict found, said so", async () => {
    const config = `services:
  a: {target: {path: deployment/api}, run: {command: [sh, -c, 'true']}}
  b: {target: {path: deployment/web}, run: {command: [sh, -c, 'true']}}
`;
    const { doctor } = await setup(config, {
      namespaces: {
        shop: { deployments: ["api", "web"], pods: [READY_API, { name: "web-1", labels: { app: "web" } }] },
      },
    });
    const { code, report } = await doctor();
    assert.equal(code, 0, JSON.stringify(report, null, 1));
    assert.match(line(report, "conflicts", "ok").message, /^no conflict found \(/);
  });
});

describe("doctor: the route seam, wired through the command", () => {
  it("runDoctorCommand passes the route decision to the sessions check, and reports the request it proves", async () => {
    const config = `services:
  a: {target: {path: deployment/api}, http_filter: {header_filter: '^x-user: alice$'}, run: {command: [sh, -c, 'true']}}
  b: {target: {path: deployment/api}, http_filter: {path_filter: '^/api/'}, run: {command: [sh, -c, 'true']}}
`;
    const { dir, env } = await setup(config, {
      operator: true,
      namespaces: { shop: { deployments: ["api"], pods: [READY_API] } },
    });
    const stdout = new PassThrough();
    let text = "";
    stdout.on("data", (c: Buffer) => {
      text += c.toString();
    });
    const io = {
      stdin: Readable.from([]),
      stdout,
      stderr: new PassThrough(),
      env,
      cwd: dir,
      username: () => "k",
    };
    const asked: CandidateRequest[] = [];
    const route = decider({ a: (r) => header(r, "x-user") === "alice", b: () => true }, asked);
    const code = await runDoctorCommand(
      { configFile: join(dir, "mirrord-up.yaml"), key: "k", requestTimeoutSeconds: 5, format: "json" },
      [],
      io,
      { route },
    );
    assert.equal(code, 1, text);
    assert.equal(asked.length, 1);
    const report = JSON.parse(text) as Report;
    const l = line(report, "conflicts", "problem");
    assert.match(l.message, /a and b would steal the same requests .*both steal GET \/ with x-user: alice/);
    assert.match(l.hint ?? "", /filters that tell GET \/ with x-user: alice apart/);
  });
});
