import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { upConfigSchema } from "../src/config/schema.js";
import { buildRunPlan, type Mode } from "../src/plan/assemble.js";
import { renderMirrordJson } from "../src/plan/mirrord-json.js";
import { mirrordSchemaValidator } from "./helpers/mirrord-schema.js";

/** A varied set of files: every field, every mode, every target form, every `messages` form. */
const CASES: Record<string, string> = {
  minimal: `services: {api: {run: {command: [node, app.js]}}}`,
  everything: `
common: {accept_invalid_certificates: true, operator: true, telemetry: false, context: staging}
services:
  api:
    target: {path: deployment/api/container/main, namespace: shop}
    env:
      include: "A;B"
      override: {PORT: 8080, DEBUG: true, NAME: x}
      load_from_process: false
      unset: [AWS_PROFILE]
      env_file: .env
      mapping: {".+_TIMEOUT": "1000"}
    http_filter: {header_filter: "^x-user: (?i)alice$", ports: [80, 8080]}
    ignore_ports: [9090, 15090, 9090]
    context: other
    messages: auto
    run: {command: [node, server.js]}`,
  env_exclude: `services: {e: {env: {exclude: [SECRET, TOKEN], unset: "A;B"}, run: {command: [x]}}}`,
  targetless: `services: {t: {target: none, run: {command: [curl, x]}}}`,
  namespace_only: `services: {n: {target: {namespace: ns}, run: {command: [x]}}}`,
  replace_all_kinds: `
common: {operator: true}
services:
  d: {default_mode: replace, target: {path: deploy/d}, run: {command: [x]}}
  s: {default_mode: replace, target: {path: statefulset/s}, run: {command: [x]}}
  r: {default_mode: replace, target: {path: replicaset/r}, run: {command: [x]}}
  j: {default_mode: replace, target: {path: job/j}, run: {command: [x]}}
  c: {default_mode: replace, target: {path: cronjob/c}, http_filter: {path_filter: "^/api"}, run: {type: container, command: [docker, run, img]}}`,
  filters: `
services:
  p: {http_filter: {path_filter: "^/(?!health)"}, run: {command: [x]}}
  m: {http_filter: {method_filter: POST}, run: {command: [x]}}
  a: {http_filter: {all_of: [{header: "^x-a: 1$"}, {path: "/api"}, {method: GET}, {query: "q"}], ports: 80}, run: {command: [x]}}
  o: {http_filter: {any_of: [{header: "(?P<n>a)"}, {body: json, query: ".a", matches: "b"}]}, run: {command: [x]}}
  b: {http_filter: {body_filter: {body: json, query: ".user", matches: "alice"}}, run: {command: [x]}}
  q: {http_filter: {header_filter_jq: ".x"}, run: {command: [x]}}
  ports_only: {http_filter: {ports: [8080]}, run: {command: [x]}}`,
  queues: `
services:
  list: {messages: [kafka, sqs, bullmq], run: {command: [x]}}
  map:
    messages:
      orders: {queue_type: SQS, message_filter: {author: "^alice$"}}
      events: {queue_type: Kafka, jq_filter: ".headers.x", queue_mode: mirror}
      rabbit: {queue_type: RMQ, message_filter: {k: v}}
    run: {command: [x]}`,
  template_braces: `services: {t: {http_filter: {header_filter: "^x-tpl: a{2}\\\\{\\\\{b$"}, env: {override: {T: "{{ '{{' }} and {% raw %}{%{% endraw %}"}}, run: {command: [x]}}}`,
};

const KEYS = ["alice", "john.doe", "a+b$c{d}", "x~y#z&w-v"];

describe("every generated mirrord.json validates against mirrord's own schema", () => {
  // Compiled inside the tests (once, cached): a missing schema then fails them, counted as failures.
  for (const [name, text] of Object.entries(CASES)) {
    for (const mode of [undefined, "split", "replace"] as (Mode | undefined)[]) {
      it(`${name}, mode ${mode ?? "as written"}`, () => {
        const validate = mirrordSchemaValidator();
        const config = upConfigSchema.parse(
          parse(text.replaceAll("{{ '{{' }}", "{{").replace(/\{% raw %\}(.*?)\{% endraw %\}/g, "$1")),
        );
        for (const key of KEYS) {
          let plan: ReturnType<typeof buildRunPlan>;
          try {
            plan = buildRunPlan(config, { key, services: [], mode });
          } catch (error) {
            // Replace mode over targets it cannot copy is rejected before anything is written.
            assert.equal(mode, "replace", String(error));
            continue;
          }
          assert.ok(plan.sessions.length > 0);
          for (const session of plan.sessions) {
            const onDisk = JSON.parse(renderMirrordJson(session.mirrordConfig));
            const ok = validate(onDisk);
            assert.ok(
              ok,
              `${session.name} (key ${key}): ${JSON.stringify(validate.errors, null, 1)}\n${JSON.stringify(onDisk)}`,
            );
          }
        }
      });
    }
  }

  it("rejects a config that breaks mirrord's schema (the check can fail)", () => {
    const validate = mirrordSchemaValidator();
    assert.equal(validate({ feature: { network: { incoming: { mode: "steal", feture: 1 } } } }), false);
    assert.equal(validate({ target: { path: "pod/x", bogus: 1 } }), false);
  });
});
