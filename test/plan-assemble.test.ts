/** Assembly of one mirrord.json per service: upstream's `up/config.rs` assembly tests, ported. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildRunPlan, type PlanOptions } from "../src/plan/assemble.js";
import { renderMirrordJson } from "../src/plan/mirrord-json.js";
import { PlanError } from "../src/plan/problems.js";
import { ALL_QUEUE_KINDS } from "../src/plan/queues.js";
import { sessionHeaderFilter } from "../src/plan/session-filter.js";
import { mirrordSchemaValidator } from "./helpers/mirrord-schema.js";
import { parseConfig } from "./helpers/parse.js";

function plan(text: string, options: Partial<PlanOptions> = {}) {
  return buildRunPlan(parseConfig(text), { key: "alice", services: [], ...options });
}
function session(text: string, name: string, options: Partial<PlanOptions> = {}) {
  const found = plan(text, options).sessions.find((s) => s.name === name);
  assert.ok(found, `no session ${name}`);
  return found;
}

const WORKED_EXAMPLE = `
common: {operator: true, context: staging}
services:
  api:
    target: {path: deployment/api, namespace: shop}
    env: {override: {SESSION_KEY: alice}}
    ignore_ports: [15090, 9090]
    messages: auto
    run: {command: ["node", "server.js"]}
  worker:
    default_mode: replace
    context: other
    target: {path: statefulset/worker}
    http_filter: {header_filter: "x-a: b"}
    run: {type: container, command: ["docker", "run", "--rm", "worker:dev"]}
`;

describe("assembly", () => {
  it("matches upstream's worked example for a split exec service", () => {
    const api = session(WORKED_EXAMPLE, "api");
    assert.equal(api.type, "exec");
    assert.deepEqual(api.command, ["node", "server.js"]);
    assert.equal(api.context, "staging");
    const c = api.mirrordConfig!;
    assert.equal(c.key, "alice");
    assert.equal(c.operator, true);
    assert.equal(c.kube_context, "staging");
    assert.deepEqual(c.target, { path: "deployment/api", namespace: "shop" });
    assert.deepEqual(c.feature.env, { override: { SESSION_KEY: "alice" } });
    assert.equal(c.feature.network.incoming.mode, "steal");
    assert.deepEqual(c.feature.network.incoming.ignore_ports, [9090, 15090]);
    assert.deepEqual(c.feature.network.incoming.http_filter, { header_filter: sessionHeaderFilter("alice") });
    assert.equal(c.feature.copy_target, undefined);
    assert.deepEqual(c.feature.magic, { aws: false });
  });

  it("port 0 in ignore_ports reaches mirrord.json, as upstream passes its u16 on (mirrord compares it with the port asked to bind)", () => {
    const c = session(
      "services: {a: {ignore_ports: [0, 8080, 0], http_filter: {header_filter: x, ports: 0}, run: {command: [x]}}}",
      "a",
    ).mirrordConfig!;
    assert.deepEqual(c.feature.network.incoming.ignore_ports, [0, 8080]);
    const validate = mirrordSchemaValidator();
    assert.ok(validate(JSON.parse(renderMirrordJson(c))), JSON.stringify(validate.errors));
  });

  it("replace_mode_copies_target_and_scales_down", () => {
    const worker = session(WORKED_EXAMPLE, "worker");
    assert.equal(worker.type, "container");
    assert.deepEqual(worker.mirrordConfig!.feature.copy_target, { enabled: true, scale_down: true });
    assert.equal(worker.mirrordConfig!.kube_context, "other");
    assert.deepEqual(worker.mirrordConfig!.target, { path: "statefulset/worker" });
  });

  it("replace_mode_clears_the_http_filter and warns", () => {
    const p = plan(WORKED_EXAMPLE);
    const worker = p.sessions.find((s) => s.name === "worker")!;
    assert.equal(worker.mirrordConfig!.feature.network.incoming.http_filter, undefined);
    assert.deepEqual(p.warnings, [
      {
        service: "worker",
        message: "`http_filter` is ignored in `replace` mode, all incoming traffic is handled locally",
      },
    ]);
  });

  it("replace_mode_parses_from_config_file", () => {
    const s = session(
      `services: {w: {default_mode: replace, target: {path: deployment/w}, run: {command: [x]}}}`,
      "w",
    );
    assert.equal(s.mode, "replace");
  });

  it("split_mode_injects_session_key_wildcard_queue_filters", () => {
    const queues = session(WORKED_EXAMPLE, "api").mirrordConfig!.feature.split_queues as {
      queue_id: string;
      queue_type: string;
      jq_filter: string;
    }[];
    assert.deepEqual(
      queues.map((q) => q.queue_type),
      ["SQS", "Kafka", "GCPPubSub", "AzureServiceBus", "RedisPubSub", "Temporal", "BullMQ"],
    );
    assert.equal(queues.length, ALL_QUEUE_KINDS.length);
    assert.ok(queues.every((q) => q.queue_id === "*"));
    assert.equal(
      queues[0]!.jq_filter,
      '(.MessageAttributes // {}) | [.. | select(type == "string" and contains("mirrord-session=alice"))] | length > 0',
    );
    // all_wildcard_jq_selectors: each kind looks where its messages keep attributes.
    assert.deepEqual(
      queues.map((q) => q.jq_filter.slice(1, q.jq_filter.indexOf(" //"))),
      [".MessageAttributes", ".headers", ".attributes", ".application_properties", ".", ".header", "."],
    );
  });

  it("messages are opt-in: no messages, no split_queues", () => {
    assert.equal(
      session(`services: {a: {run: {command: [x]}}}`, "a").mirrordConfig!.feature.split_queues,
      undefined,
    );
  });

  it("a list of queue kinds gives wildcard entries for those kinds only, in upstream order", () => {
    const q = session(`services: {a: {messages: [bullmq, kafka], run: {command: [x]}}}`, "a").mirrordConfig!
      .feature.split_queues as { queue_type: string }[];
    assert.deepEqual(
      q.map((e) => e.queue_type),
      ["Kafka", "BullMQ"],
    );
  });

  it("a mapping of queues is passed 1:1 as feature.split_queues", () => {
    const s = session(
      `services: {a: {messages: {orders: {queue_type: SQS, message_filter: {x: "^y$"}}}, run: {command: [x]}}}`,
      "a",
    );
    assert.deepEqual(s.mirrordConfig!.feature.split_queues, {
      orders: { queue_type: "SQS", message_filter: { x: "^y$" } },
    });
  });

  it("override_mode_replaces_every_service_mode", () => {
    const text = `
services:
  a: {default_mode: split, target: {path: deployment/a}, run: {command: [x]}}
  b: {default_mode: replace, target: {path: deployment/b}, run: {command: [x]}}`;
    assert.deepEqual(
      plan(text, { mode: "replace" }).sessions.map((s) => s.mode),
      ["replace", "replace"],
    );
    assert.deepEqual(
      plan(text, { mode: "split" }).sessions.map((s) => s.mode),
      ["split", "split"],
    );
  });

  it("validate_targets_accepts_replace_on_supported_targets", () => {
    for (const kind of ["deployment", "deploy", "statefulset", "replicaset", "job", "cronjob"]) {
      const s = session(
        `services: {a: {default_mode: replace, target: {path: ${kind}/x}, run: {command: [x]}}}`,
        "a",
      );
      assert.equal(s.mode, "replace");
    }
  });

  it("validate_targets_reports_every_offending_service", () => {
    const text = `
services:
  a: {default_mode: replace, target: none, run: {command: [x]}}
  b: {default_mode: replace, target: {path: rollout/b}, run: {command: [x]}}
  c: {default_mode: replace, target: {path: pod/c}, run: {command: [x]}}
  d: {default_mode: replace, target: {path: deployment/d}, run: {command: [x]}}`;
    assert.throws(
      () => plan(text),
      (error: unknown) => {
        assert.ok(error instanceof PlanError);
        assert.deepEqual(
          error.problems.map((p) => p.message),
          [
            "incompatible mode and target: `a` is `replace` mode with a targetless target",
            "incompatible mode and target: `b` is `replace` mode with a rollout target",
            "incompatible mode and target: `c` is `replace` mode with a pod target",
          ],
        );
        assert.deepEqual(error.problems[1]!.path, ["services", "b", "target", "path"]);
        return true;
      },
    );
  });

  it("replace mode with operator: false is rejected before anything starts", () => {
    assert.throws(
      () =>
        plan(
          `common: {operator: false}\nservices: {a: {default_mode: replace, target: {path: deployment/a}, run: {command: [x]}}}`,
        ),
      /needs the mirrord operator/,
    );
  });

  it("target none is targetless without an explicit path", () => {
    const s = session(`services: {t: {target: none, run: {command: [x]}}}`, "t");
    assert.deepEqual(s.mirrordConfig!.target, {});
    assert.equal(s.inferTarget, undefined);
  });

  it("an omitted target path is left to inference, keeping the namespace", () => {
    assert.deepEqual(session(`services: {a: {run: {command: [x]}}}`, "a").inferTarget, {
      namespace: undefined,
    });
    const ns = session(`services: {a: {target: {namespace: shop}, run: {command: [x]}}}`, "a");
    assert.deepEqual(ns.inferTarget, { namespace: "shop" });
    assert.deepEqual(ns.mirrordConfig!.target, { namespace: "shop" });
  });

  it("unresolved_target_chooses_correct_context: --context > service > common", () => {
    const text = `
common: {context: common-ctx}
services:
  a: {context: service-ctx, run: {command: [x]}}
  b: {run: {command: [x]}}`;
    assert.equal(session(text, "a").mirrordConfig!.kube_context, "service-ctx");
    assert.equal(session(text, "b").mirrordConfig!.kube_context, "common-ctx");
    assert.equal(session(text, "a", { context: "cli" }).mirrordConfig!.kube_context, "cli");
    assert.equal(session(text, "b", { context: "cli" }).context, "cli");
    assert.equal(session(`services: {a: {run: {command: [x]}}}`, "a").mirrordConfig!.kube_context, undefined);
  });

  it("a user http_filter is used as given in split mode", () => {
    const s = session(`services: {a: {http_filter: {path_filter: "^/api"}, run: {command: [x]}}}`, "a");
    assert.deepEqual(s.mirrordConfig!.feature.network.incoming.http_filter, { path_filter: "^/api" });
    assert.equal(s.usesSessionFilter, false);
  });

  it("ports alone are not a filter: the session filter applies on every port, ports dropped with a warning", () => {
    const p = plan(`services: {a: {http_filter: {ports: [8080]}, run: {command: [x]}}}`);
    const s = p.sessions[0]!;
    // Kept, `ports` would make mirrord steal every request on the other ports, unfiltered.
    assert.deepEqual(s.mirrordConfig!.feature.network.incoming.http_filter, {
      header_filter: sessionHeaderFilter("alice"),
    });
    assert.equal(s.usesSessionFilter, true);
    assert.deepEqual(p.warnings, [
      {
        service: "a",
        message:
          "`http_filter.ports` without a filter is ignored: the session filter applies on every port (as in mirrord up)",
      },
    ]);
  });

  it("a split-mode config never leaves a port to be stolen unfiltered by the session filter", () => {
    for (const filter of ["{ports: 8080}", "{ports: [8080, 9090]}", "{}"]) {
      const s = session(`services: {a: {http_filter: ${filter}, run: {command: [x]}}}`, "a");
      const written = s.mirrordConfig!.feature.network.incoming.http_filter!;
      assert.equal(written.ports, undefined, filter);
      assert.equal(written.header_filter, sessionHeaderFilter("alice"));
    }
  });

  it("your own filter keeps its ports, with a warning that other ports are stolen unfiltered", () => {
    const p = plan(
      `services: {a: {http_filter: {path_filter: "^/api", ports: [8080]}, run: {command: [x]}}}`,
    );
    assert.deepEqual(p.sessions[0]!.mirrordConfig!.feature.network.incoming.http_filter, {
      path_filter: "^/api",
      ports: [8080],
    });
    assert.match(
      p.warnings[0]?.message ?? "",
      /limits your filter to port 8080: mirrord steals every request on the service's other ports unfiltered/,
    );
  });

  it("common options are copied into every service", () => {
    const s = session(
      `common: {accept_invalid_certificates: true, operator: false, telemetry: false}\nservices: {a: {run: {command: [x]}}}`,
      "a",
    );
    assert.equal(s.mirrordConfig!.accept_invalid_certificates, true);
    assert.equal(s.mirrordConfig!.operator, false);
    assert.equal(s.mirrordConfig!.telemetry, false);
  });

  it("minimal_service_gets_defaults: split, exec, no env, no ignore_ports", () => {
    const s = session(`services: {a: {run: {command: [x]}}}`, "a");
    assert.equal(s.type, "exec");
    assert.equal(s.mode, "split");
    assert.equal(s.mirrordConfig!.feature.env, undefined);
    assert.equal(s.mirrordConfig!.feature.network.incoming.ignore_ports, undefined);
    assert.equal(s.usesSessionFilter, true);
  });

  it("env numbers and booleans become strings, as mirrord requires", () => {
    const s = session(
      `services: {a: {env: {override: {PORT: 8080, DEBUG: true}}, run: {command: [x]}}}`,
      "a",
    );
    assert.deepEqual(s.mirrordConfig!.feature.env, { override: { PORT: "8080", DEBUG: "true" } });
  });

  it("a local service runs without mirrord and keeps only env.override", () => {
    const s = session(
      `services: {db: {run: {type: local, command: [redis-server]}, env: {override: {A: b}}}}`,
      "db",
    );
    assert.equal(s.type, "local");
    assert.equal(s.mirrordConfig, undefined);
    assert.deepEqual(s.env, { A: "b" });
    assert.equal(s.mode, undefined);
  });

  it("-m does not turn a local service into a mirrord one", () => {
    const s = session(`services: {db: {run: {type: local, command: [x]}}}`, "db", { mode: "replace" });
    assert.equal(s.mirrordConfig, undefined);
  });

  it("sessions are in sorted name order", () => {
    const p = plan(
      `services: {zeta: {run: {command: [x]}}, alpha: {run: {command: [x]}}, mid: {run: {command: [x]}}}`,
    );
    assert.deepEqual(
      p.sessions.map((s) => s.name),
      ["alpha", "mid", "zeta"],
    );
  });
});

describe("the written mirrord.json survives mirrord's second template pass", () => {
  it("no {{, {% or {# reaches mirrord, and the JSON still decodes to the same values", () => {
    const s = session(
      `services: {a: {env: {override: {T: "{{x}} {%y%} {#z#}"}}, http_filter: {header_filter: "^x: a{2}$"}, run: {command: [x]}}}`,
      "a",
      { key: "k{" },
    );
    const text = renderMirrordJson(s.mirrordConfig);
    assert.doesNotMatch(text, /\{[{%#]/);
    assert.ok(text.includes("\\u007b"));
    const decoded = JSON.parse(text);
    assert.equal(decoded.feature.env.override.T, "{{x}} {%y%} {#z#}");
    assert.equal(decoded.feature.network.incoming.http_filter.header_filter, "^x: a{2}$");
    assert.equal(decoded.key, "k{");
  });
});
