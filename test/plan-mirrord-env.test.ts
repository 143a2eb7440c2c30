/**
 * `MIRRORD_*` variables that would beat a field mirrord-up decides never reach mirrord (upstream's
 * sessions cannot be changed that way either); every other variable passes, and local services
 * see the environment unchanged.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildRunPlan } from "../src/plan/assemble.js";
import {
  FIELD_VARIABLES,
  fieldPaths,
  overridingVariables,
  removedVariables,
  sessionEnv,
} from "../src/plan/mirrord-env.js";
import { parseConfig } from "./helpers/parse.js";
import { runUp } from "./helpers/up.js";

/** Every field mirrord-up can write, across split, replace, container and local services. */
const EVERYTHING = `
common: {accept_invalid_certificates: true, operator: true, telemetry: false, context: c}
services:
  split:
    context: other
    target: {path: deployment/api, namespace: shop}
    env:
      include: [A]
      override: {X: "1"}
      load_from_process: true
      unset: [D]
      env_file: .env
      mapping: {"^E$": F}
    http_filter: {header_filter: "x-a: b", ports: [8080]}
    ignore_ports: [9090]
    messages: auto
    run: {command: [node]}
  session-filter:
    target: none
    env: {exclude: "B;C"}
    messages: {q: {queue_type: SQS, jq_filter: "."}}
    run: {type: container, command: [docker, run, x]}
  replace:
    default_mode: replace
    target: {path: statefulset/db}
    run: {command: [node]}
  local:
    env: {override: {Y: "2"}}
    run: {type: local, command: [node]}
`;

const plan = buildRunPlan(parseConfig(EVERYTHING), { key: "alice", services: [] });
const session = (name: string) => plan.sessions.find((s) => s.name === name)!;

/** One of every variable the table names, plus some it must leave alone. */
const USER_ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(FIELD_VARIABLES.flatMap((row) => row.variables).map((name) => [name, "user"])),
  MIRRORD_AGENT_IMAGE: "my/agent",
  MIRRORD_PROGRESS_MODE: "std",
  HOME: "/home/alice",
};

describe("MIRRORD_* variables that would beat mirrord-up's file", () => {
  it("the table covers every field mirrord-up writes into mirrord.json", () => {
    const written = plan.sessions.flatMap((s) => (s.mirrordConfig ? fieldPaths(s.mirrordConfig) : []));
    assert.ok(written.includes("feature.network.incoming.http_filter.ports"), "the sample is complete");
    assert.ok(written.includes("feature.copy_target.scale_down"));
    for (const path of new Set(written)) {
      assert.ok(
        FIELD_VARIABLES.some((row) => path === row.field || path.startsWith(`${row.field}.`)),
        `${path} is written but not in FIELD_VARIABLES`,
      );
    }
  });

  it("names only MIRRORD_* variables, each in one row", () => {
    const names = FIELD_VARIABLES.flatMap((row) => row.variables);
    assert.equal(new Set(names).size, names.length);
    for (const name of names) assert.match(name, /^MIRRORD_[A-Z0-9_]+$/);
  });

  it("removes the target, context, key, env, mode and filter variables from a split session", () => {
    assert.deepEqual(overridingVariables(session("split"), USER_ENV).sort(), [
      "MIRRORD_AGENT_TCP_STEAL_TRAFFIC",
      "MIRRORD_ENV_LOAD_FROM_PROCESS",
      "MIRRORD_HTTP_FILTER_PORTS",
      "MIRRORD_HTTP_HEADER_FILTER",
      "MIRRORD_HTTP_HEADER_FILTER_JQ",
      "MIRRORD_HTTP_METHOD_FILTER",
      "MIRRORD_HTTP_PATH_FILTER",
      "MIRRORD_IMPERSONATED_TARGET",
      "MIRRORD_KEY",
      "MIRRORD_KUBE_CONTEXT",
      "MIRRORD_OVERRIDE_ENV_VARS_EXCLUDE",
      "MIRRORD_OVERRIDE_ENV_VARS_FILE",
      "MIRRORD_OVERRIDE_ENV_VARS_INCLUDE",
      "MIRRORD_TARGET_NAMESPACE",
    ]);
  });

  it("removes a variable for a field even when mirrord-up leaves that field out (no context, no namespace)", () => {
    const env = sessionEnv(USER_ENV, session("session-filter"));
    assert.equal(env.MIRRORD_KUBE_CONTEXT, undefined);
    assert.equal(env.MIRRORD_IMPERSONATED_TARGET, undefined);
    assert.equal(env.MIRRORD_TARGET_NAMESPACE, undefined);
  });

  it("keeps the filter variables in replace mode, where upstream keeps them too", () => {
    const removed = overridingVariables(session("replace"), USER_ENV);
    assert.ok(!removed.includes("MIRRORD_HTTP_HEADER_FILTER"));
    assert.ok(removed.includes("MIRRORD_IMPERSONATED_TARGET"));
  });

  it("keeps the common.* variables, which beat the config upstream as well, and unrelated ones", () => {
    const env = sessionEnv(USER_ENV, session("split"));
    assert.equal(env.MIRRORD_OPERATOR_ENABLE, "user");
    assert.equal(env.MIRRORD_TELEMETRY, "user");
    assert.equal(env.MIRRORD_ACCEPT_INVALID_CERTIFICATES, "user");
    assert.equal(env.MIRRORD_AGENT_IMAGE, "my/agent");
    assert.equal(env.HOME, "/home/alice");
  });

  it("sets JSON progress for mirrord sessions, whatever the user had", () => {
    assert.equal(sessionEnv(USER_ENV, session("split")).MIRRORD_PROGRESS_MODE, "json");
  });

  it("leaves a local service's environment alone (no mirrord reads it) and adds its overrides", () => {
    const env = sessionEnv(USER_ENV, session("local"));
    assert.equal(env.MIRRORD_KUBE_CONTEXT, "user");
    assert.equal(env.MIRRORD_PROGRESS_MODE, "std");
    assert.equal(env.Y, "2");
    assert.deepEqual(overridingVariables(session("local"), USER_ENV), []);
  });

  it("lists each removed variable once, sorted, for one warning", () => {
    const names = removedVariables(plan.sessions, { MIRRORD_KUBE_CONTEXT: "x", MIRRORD_KEY: "k" });
    assert.deepEqual(names, ["MIRRORD_KEY", "MIRRORD_KUBE_CONTEXT"]);
  });
});

describe("up: what mirrord and the application see", { timeout: 60_000 }, () => {
  it("mirrord never sees the removed variables, a warning names them without values, local services keep them", async () => {
    const { code, stdout, stderr } = await runUp(
      [
        "services:",
        "  api:",
        "    target: {path: deployment/api}",
        "    run: {command: [sh, -c, 'echo api ctx=$MIRRORD_KUBE_CONTEXT target=$MIRRORD_IMPERSONATED_TARGET image=$MIRRORD_AGENT_IMAGE; sleep 1']}",
        "  dev:",
        "    run: {type: local, command: [sh, -c, 'echo dev ctx=$MIRRORD_KUBE_CONTEXT; sleep 1']}",
        "",
      ].join("\n"),
      {
        env: {
          MIRRORD_KUBE_CONTEXT: "secret-context-value",
          MIRRORD_IMPERSONATED_TARGET: "pod/elsewhere",
          MIRRORD_AGENT_IMAGE: "my/agent",
        },
      },
    );
    assert.equal(code, 0, stderr);
    assert.match(stdout, /api +\| api ctx= target= image=my\/agent\n/);
    assert.match(stdout, /dev +\| dev ctx=secret-context-value\n/);
    assert.match(
      stdout,
      /mirrord-up: warning: ignoring MIRRORD_IMPERSONATED_TARGET, MIRRORD_KUBE_CONTEXT from the environment/,
    );
    const warning = stdout.split("\n").find((l) => l.includes("warning: ignoring")) ?? "";
    assert.doesNotMatch(warning, /secret-context-value|pod\/elsewhere/);
  });
});
