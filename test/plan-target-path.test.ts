/**
 * Target paths are read as mirrord's `Target::from_str` reads them, including label targets
 * (`label/key=value[,key=value...][/container/c]`, mirrord/config/src/target/label.rs).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseTargetPath } from "../src/config/target-path.js";
import { buildRunPlan } from "../src/plan/assemble.js";
import { PlanError } from "../src/plan/problems.js";
import { runCliCaptured } from "./helpers/cli.js";
import { parseConfig } from "./helpers/parse.js";
import { withConfig } from "./helpers/tmp.js";

describe("label targets, as upstream parses them", () => {
  // Upstream's own cases (label.rs `parses_label_target_path`), plus values with `=` and `/`.
  const valid: [string, Record<string, string>, string | undefined][] = [
    ["label/app=biskupin/container/zamek-w-besiekierach", { app: "biskupin" }, "zamek-w-besiekierach"],
    ["label/app=biskupin", { app: "biskupin" }, undefined],
    [
      "label/app=biskupin,tier=web/container/zamek-w-besiekierach",
      { app: "biskupin", tier: "web" },
      "zamek-w-besiekierach",
    ],
    ["label/app=biskupin,tier=web", { app: "biskupin", tier: "web" }, undefined],
    [
      "label/app.kubernetes.io/name=biskupin,castle=zamek-w-besiekierach,tier=web/container/php",
      { "app.kubernetes.io/name": "biskupin", castle: "zamek-w-besiekierach", tier: "web" },
      "php",
    ],
    ["label/app=", { app: "" }, undefined],
    ["label/a=b=c", { a: "b=c" }, undefined],
    ["label/a=b/c", { a: "b/c" }, undefined],
    ["label/a=1/container/x/container/y", { a: "1/container/x" }, "y"],
    ["label/__proto__=x", { ["__proto__"]: "x" }, undefined],
  ];
  for (const [path, labels, container] of valid) {
    it(`accepts ${path}`, () => {
      const parsed = parseTargetPath(path);
      assert.ok(parsed.ok, parsed.ok ? "" : parsed.error);
      assert.equal(parsed.target.kind, "label");
      assert.deepEqual({ ...parsed.target.labels }, labels);
      assert.equal(parsed.target.container, container);
    });
  }

  const invalid: [string, RegExp][] = [
    ["label/app=biskupin,app=zamek-w-besiekierach", /sets the label `app` twice/],
    ["label", /label\/key=value/],
    ["label/", /at least one label/],
    ["label//container/c", /at least one label/],
    ["label/app", /label\/key=value/],
    ["label/=x", /label\/key=value/],
    ["label/a=1,", /label\/key=value/],
    ["label/a=1/container/", /label\/key=value/],
    ["label/a=1/container/b/c", /label\/key=value/],
  ];
  for (const [path, message] of invalid) {
    it(`rejects ${path}`, () => {
      const parsed = parseTargetPath(path);
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.match(parsed.error, message);
    });
  }

  it("a label target in mirrord-up.yaml is valid and written to mirrord.json as given", async () => {
    const dir = withConfig(
      "services:\n  api:\n    target: {path: 'label/app=api,tier=web/container/main', namespace: shop}\n    run: {command: [x]}\n",
    );
    const result = await runCliCaptured(["config", "--format", "json", "-k", "k"], { cwd: dir });
    assert.equal(result.code, 0, result.stderr);
    const config = JSON.parse(result.stdout).services.api.config;
    assert.deepEqual(config.target, { path: "label/app=api,tier=web/container/main", namespace: "shop" });
  });

  it("a broken label target is a located error", async () => {
    const dir = withConfig("services:\n  api:\n    target: {path: 'label/app'}\n    run: {command: [x]}\n");
    const result = await runCliCaptured(["validate", "-k", "k"], { cwd: dir });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /mirrord-up\.yaml:3:\d+: error: .*"label\/app" is not a label target/);
  });

  it("replace mode rejects a label target (upstream `compatible_with`)", () => {
    const config = parseConfig(
      "services:\n  api:\n    default_mode: replace\n    target: {path: label/app=api}\n    run: {command: [x]}\n",
    );
    assert.throws(
      () => buildRunPlan(config, { key: "k", services: [] }),
      (error: unknown) =>
        error instanceof PlanError &&
        error.problems.some((p) => /`api` is `replace` mode with a label target/.test(p.message)),
    );
  });

  it("split mode accepts a label target", () => {
    const config = parseConfig(
      "services:\n  api:\n    target: {path: label/app=api}\n    run: {command: [x]}\n",
    );
    const plan = buildRunPlan(config, { key: "k", services: [] });
    assert.deepEqual(plan.sessions[0]?.mirrordConfig?.target, { path: "label/app=api" });
    assert.equal(plan.sessions[0]?.inferTarget, undefined);
  });
});

describe("workload target paths", () => {
  for (const path of ["deployment/api", "deploy/api", "pod/p/container/c", "replicaset/rs", "cronjob/c"]) {
    it(`accepts ${path}`, () => assert.ok(parseTargetPath(path).ok));
  }
  for (const path of ["api", "deployment/", "deployment/a/b", "node/n", "targetless"]) {
    it(`rejects ${path}`, () => assert.equal(parseTargetPath(path).ok, false));
  }
});
