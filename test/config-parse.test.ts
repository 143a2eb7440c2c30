/** Parsing `mirrord-up.yaml` (upstream `up/config.rs` parsing tests, ported, and strictness). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadConfig } from "../src/config/load.js";
import { UserError } from "../src/core/errors.js";
import { withConfig } from "./helpers/tmp.js";

function load(text: string) {
  return loadConfig({ file: "mirrord-up.yaml", cwd: withConfig(text), key: "k", env: {} });
}
function errors(text: string) {
  try {
    load(text);
  } catch (error) {
    assert.ok(error instanceof UserError);
    return error.diagnostics;
  }
  assert.fail("expected diagnostics");
}

describe("parsing", () => {
  it("defaults_applied_when_omitted: nothing is invented at parse time", () => {
    const c = load(`services: {a: {run: {command: [x]}}}`).config;
    assert.equal(c.common, undefined);
    assert.deepEqual(c.services.a, { run: { command: ["x"] } });
  });

  it("defaults_overridden", () => {
    const c = load(`common: {telemetry: false, operator: false, accept_invalid_certificates: true}
services: {a: {skip: true, default_mode: replace, run: {type: container, command: [docker, run, x]}}}`).config;
    assert.deepEqual(c.common, { telemetry: false, operator: false, accept_invalid_certificates: true });
    assert.equal(c.services.a!.skip, true);
    assert.equal(c.services.a!.default_mode, "replace");
    assert.equal(c.services.a!.run.type, "container");
  });

  it("service_with_all_fields", () => {
    const c = load(`services:
  api:
    target: {path: deployment/api, namespace: ns}
    env: {include: "A;B", override: {X: y}}
    default_mode: split
    http_filter: {header_filter: "^x: y$", ports: [80]}
    ignore_ports: [1, 2]
    skip: false
    context: ctx
    messages: [kafka]
    run: {type: exec, command: [node, app.js]}`).config.services.api!;
    assert.deepEqual(c.target, { path: "deployment/api", namespace: "ns" });
    assert.equal(c.context, "ctx");
    assert.deepEqual(c.messages, ["kafka"]);
  });

  it("multiple_services_with_different_modes", () => {
    const c = load(`services:
  a: {default_mode: split, run: {command: [x]}}
  b: {default_mode: replace, target: {path: deployment/b}, run: {command: [x]}}`).config;
    assert.equal(c.services.a!.default_mode, "split");
    assert.equal(c.services.b!.default_mode, "replace");
    assert.equal(c.services.b!.run.type, undefined);
  });

  it("specified, unspecified and none targets parse", () => {
    const c = load(`services:
  a: {target: {path: pod/p/container/c}, run: {command: [x]}}
  b: {run: {command: [x]}}
  c: {target: none, run: {command: [x]}}
  d: {target: null, run: {command: [x]}}
  e: {target: {}, run: {command: [x]}}`).config.services;
    assert.deepEqual(c.a!.target, { path: "pod/p/container/c" });
    assert.equal(c.b!.target, undefined);
    assert.equal(c.c!.target, "none");
    assert.equal(c.d!.target, null);
    assert.deepEqual(c.e!.target, {});
  });

  it("error_missing_run points at the service", () => {
    const [d] = errors(`services:\n  api:\n    skip: false\n`);
    assert.equal(d!.line, 2);
    assert.equal(d!.col, 3);
    assert.match(d!.message, /services\.api: missing required key "run"/);
  });

  it("error_invalid_mode suggests the closest mode", () => {
    const [d] = errors(`services:\n  api:\n    default_mode: splitt\n    run: {command: [x]}\n`);
    assert.equal(d!.line, 3);
    assert.equal(d!.col, 19);
    assert.match(d!.hint ?? "", /did you mean "split"/);
  });

  it("unknown keys are rejected at every level, with suggestions", () => {
    const ds = errors(`comon: {}
services:
  api:
    targt: {}
    env: {overide: {A: b}}
    http_filter: {header_filtr: x}
    run: {comand: [x]}`);
    const byLine = Object.fromEntries(ds.map((d) => [d.line, d]));
    assert.match(byLine[1]!.hint!, /"common"/);
    assert.match(byLine[4]!.hint!, /"target"/);
    assert.match(byLine[5]!.hint!, /"override"/);
    assert.match(byLine[6]!.hint!, /"header_filter"/);
    assert.match(byLine[7]!.hint!, /"command"/);
  });

  it("a service field indented as a service is said once, at its key, with the service it belongs to", () => {
    for (const [field, value] of [
      ["run", "\n    command: [node, app.js]"],
      ["target", " none"],
      ["depends_on", " [db]"],
      ["ready_when", "\n    port: 8080"],
    ]) {
      const ds = errors(`services:\n  api:\n    skip: false\n  ${field}:${value}\n`);
      // api's missing `run` is the slip itself when `run` slipped: not said a second time.
      const slip = ds.filter((d) => d.line === 4);
      assert.equal(slip.length, 1, JSON.stringify(ds));
      assert.equal(slip[0]?.col, 3);
      assert.equal(
        slip[0]?.message,
        `services.${field}: \`${field}:\` is at the level of the services, so it reads as a service named "${field}"`,
      );
      assert.equal(
        slip[0]?.hint,
        `\`${field}\` looks like a service field: indented too little? Indent it under \`api\`, like its other fields`,
      );
      assert.equal(ds.length, field === "run" ? 1 : 2, JSON.stringify(ds));
    }
  });

  it("a slipped field above every service asks whether the service's name is missing", () => {
    const ds = errors("services:\n  run:\n    command: [x]\n");
    assert.equal(ds.length, 1, JSON.stringify(ds));
    assert.match(
      ds[0]?.hint ?? "",
      /`run` looks like a service field: indented too little, or is the service's name missing/,
    );
  });

  it("a service named like a field, with its own run, is a service", () => {
    const c = load("services:\n  env:\n    run: {command: [x]}\n").config;
    assert.deepEqual(Object.keys(c.services), ["env"]);
  });

  it("an unknown key that is a field one level in or out says which way the indentation slipped", () => {
    const ds = errors(`services:
  api:
    command: [x]
    run:
      command: [x]
      restart: always`);
    const byLine = Object.fromEntries(ds.map((d) => [d.line, d]));
    assert.equal(byLine[3]?.hint, "`command` looks like a field of `run`: indented too little?");
    assert.equal(byLine[6]?.hint, "`restart` looks like a field of the service `api`: indented too much?");
  });

  it("all problems are reported at once, in file order", () => {
    const ds = errors(`services:
  "bad name":
    run: {command: []}
  ok:
    ignore_ports: [65536]
    target: {path: nope/x}
    run: {command: [x], type: exe}`);
    assert.ok(ds.length >= 5, JSON.stringify(ds));
  });

  it("a local service may not set mirrord-only fields", () => {
    const ds = errors(
      `services:\n  db:\n    target: none\n    env: {include: X}\n    run: {type: local, command: [x]}\n`,
    );
    assert.equal(ds.length, 2);
    assert.match(ds[0]!.message, /`target` has no effect on a `run.type: local` service/);
    assert.match(ds[1]!.message, /env.include/);
  });

  it("two filter kinds at once are rejected as mirrord would", () => {
    const [d] = errors(
      `services: {a: {http_filter: {header_filter: x, path_filter: y}, run: {command: [x]}}}`,
    );
    assert.match(d!.message, /mirrord accepts one filter kind/);
    assert.match(d!.hint ?? "", /all_of/);
  });

  it("path: targetless is rejected with a pointer to target: none", () => {
    const [d] = errors(`services: {a: {target: {path: targetless}, run: {command: [x]}}}`);
    assert.match(d!.hint ?? "", /target: none/);
  });

  it("target paths are checked like mirrord checks them", () => {
    for (const ok of [
      "deployment/a",
      "deploy/a",
      "pod/a/container/b",
      "rollout/r",
      "job/j",
      "cronjob/c",
      "statefulset/s",
      "service/s",
      "replicaset/r",
    ]) {
      load(`services: {a: {target: {path: "${ok}"}, run: {command: [x]}}}`);
    }
    for (const bad of ["a", "deployment", "deployment/", "pod/a/b", "pod/a/container", "foo/a"]) {
      assert.ok(errors(`services: {a: {target: {path: "${bad}"}, run: {command: [x]}}}`).length > 0, bad);
    }
  });
});
