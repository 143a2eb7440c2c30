/** Every error a user can cause has one base: `UserError`, with its diagnostics and exit code. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AliasLimitExceeded } from "../src/config/yaml-data.js";
import { ExitCode, UserError } from "../src/core/errors.js";
import { FileReadError } from "../src/core/files.js";
import { PromptCancelled } from "../src/core/prompter.js";
import { KubeError } from "../src/kube/errors.js";
import { InferenceAbandoned } from "../src/kube/infer.js";
import { PlanError } from "../src/plan/problems.js";
import { BuiltinError } from "../src/template/args.js";
import { TemplateError } from "../src/template/errors.js";

describe("the errors a user can cause", () => {
  it("are UserErrors: the CLI prints their diagnostics and exits 2, whichever room threw them", () => {
    const errors: Error[] = [
      new PlanError([{ message: "unknown service", hint: "did you mean api" }]),
      new KubeError("cannot reach the API server", "is the cluster up?"),
      new TemplateError("unexpected end of input", 4),
      new BuiltinError("Filter `round` received an incorrect type"),
      new FileReadError("not found", "missing", "ENOENT"),
      new AliasLimitExceeded(12),
      new PromptCancelled(),
      new InferenceAbandoned("no target chosen for api"),
    ];
    for (const error of errors) {
      assert.ok(error instanceof UserError, error.name);
      assert.equal(error.exitCode, ExitCode.usage, error.name);
      assert.equal(error.diagnostics[0]?.message, error.message, error.name);
    }
  });

  it("keep a hint in the diagnostic, redacted where the kube room redacts it", () => {
    const error = new KubeError(
      "cannot reach https://u:pw@k8s:6443/api?token=x",
      "see https://k8s:6443/?t=1",
    );
    assert.deepEqual(error.diagnostics, [
      { message: "cannot reach https://k8s:6443/api", hint: "see https://k8s:6443" },
    ]);
    assert.deepEqual(new PlanError([{ message: "a", hint: "b" }]).diagnostics, [{ message: "a", hint: "b" }]);
  });
});
