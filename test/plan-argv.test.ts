import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { sessionArgv } from "../src/plan/argv.js";
import { buildRunPlan } from "../src/plan/assemble.js";
import { parseConfig } from "./helpers/parse.js";

describe("session argv", () => {
  const plan = buildRunPlan(
    parseConfig(`services:
  api: {target: {path: deployment/api}, context: ctx, run: {command: [node, "my app.js", "--flag"]}}
  box: {target: none, run: {type: container, command: [docker, run, img]}}
  web: {run: {type: local, command: [npm, run, dev]}}`),
    { key: "alice", services: [] },
  );
  const byName = (n: string) => plan.sessions.find((s) => s.name === n)!;

  it("exec: -f FILE --key K --context C -- command, arguments kept whole (no shell)", () => {
    assert.deepEqual(sessionArgv(byName("api"), "/bin/mirrord", "/tmp/d/api.json", "alice"), {
      file: "/bin/mirrord",
      args: [
        "exec",
        "-f",
        "/tmp/d/api.json",
        "--key",
        "alice",
        "--context",
        "ctx",
        "--",
        "node",
        "my app.js",
        "--flag",
      ],
    });
  });

  it("container: the same shape with the container subcommand, no --context when none applies", () => {
    assert.deepEqual(sessionArgv(byName("box"), "mirrord", "/f.json", "alice").args, [
      "container",
      "-f",
      "/f.json",
      "--key",
      "alice",
      "--",
      "docker",
      "run",
      "img",
    ]);
  });

  it("a generated key (the user-name default) is not passed as --key, which would make it provided", () => {
    const generated = buildRunPlan(parseConfig("services: {api: {target: none, run: {command: [node]}}}"), {
      key: "alice",
      keyKind: "generated",
      services: [],
    });
    assert.deepEqual(sessionArgv(generated.sessions[0]!, "mirrord", "/f.json", "alice").args, [
      "exec",
      "-f",
      "/f.json",
      "--",
      "node",
    ]);
  });

  it("local: the command itself", () => {
    assert.deepEqual(sessionArgv(byName("web"), "mirrord", "", "alice"), {
      file: "npm",
      args: ["run", "dev"],
    });
  });
});
