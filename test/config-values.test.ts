/**
 * How values are read: text stays the text written (as upstream's serde_yaml reads it into
 * strings), keys are compared as text, environment names must be names, and what mirrord or the
 * operating system would reject later is a located error now.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCliCaptured } from "./helpers/cli.js";
import { withConfig } from "./helpers/tmp.js";

async function configJson(text: string) {
  const r = await runCliCaptured(["config", "--format", "json", "--no-resolve", "-k", "k"], {
    cwd: withConfig(text),
    env: {},
  });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as {
    services: Record<string, { command: string[]; env?: Record<string, string>; config: MirrordJson }>;
  };
}

/** The parts of a generated mirrord.json these tests read. */
interface MirrordJson {
  operator?: boolean;
  kube_context?: string;
  target?: { path?: string; namespace?: string };
  feature: {
    env?: { override?: Record<string, string> };
    network: { incoming: { http_filter?: Record<string, string>; ignore_ports?: number[] } };
  };
}

async function validate(text: string) {
  return runCliCaptured(["validate", "-k", "k"], { cwd: withConfig(text), env: {} });
}

describe("YAML values keep their text where text is expected", () => {
  it("env.override values: numbers, booleans and specials are the text as written", async () => {
    const doc = await configJson(`services:
  api:
    target: none
    env:
      override:
        VERSION: 1.10
        ZIP: 01234
        HEX: 0x1F
        EXP: 1e3
        BOOL: True
        BIG: 12345678901234567890
        INF: .inf
        NAN: .NaN
        EMPTY:
        TILDE: ~
        NULL_WORD: null
        QUOTED: "1.10"
        FOLDED: >-
          a
          b
    run: {command: [x]}
`);
    assert.deepEqual(doc.services.api!.config.feature.env?.override, {
      VERSION: "1.10",
      ZIP: "01234",
      HEX: "0x1F",
      EXP: "1e3",
      BOOL: "True",
      BIG: "12345678901234567890",
      INF: ".inf",
      NAN: ".NaN",
      // serde_yaml reads a string from any scalar: `~` is "~", nothing is "".
      EMPTY: "",
      TILDE: "~",
      NULL_WORD: "null",
      QUOTED: "1.10",
      FOLDED: "a b",
    });
  });

  it("run.command words may be numbers: [sleep, 5] and [python3, -m, http.server, 8000]", async () => {
    const doc = await configJson(`services:
  a: {target: none, run: {command: [sleep, 5]}}
  b: {target: none, run: {command: [python3, -m, http.server, 8000]}}
  c: {target: none, run: {command: [printf, 1.10, 0x1F, True, ~]}}
`);
    assert.deepEqual(doc.services.a!.command, ["sleep", "5"]);
    assert.deepEqual(doc.services.b!.command, ["python3", "-m", "http.server", "8000"]);
    assert.deepEqual(doc.services.c!.command, ["printf", "1.10", "0x1F", "True", "~"]);
  });

  it("mapping keys are their text too (1.10: stays 1.10), and local services get the same", async () => {
    const doc = await configJson(`services:
  web:
    env: {override: {1.10: x, PORT: 08080}}
    run: {type: local, command: [x]}
`);
    assert.deepEqual(doc.services.web!.env, { "1.10": "x", PORT: "08080" });
  });

  it("namespace, context and filters keep their text; ~ or nothing there means not set", async () => {
    const doc = await configJson(`common: {operator: True}
services:
  a:
    target: {path: deployment/a, namespace: 010}
    context: 1.20
    http_filter: {method_filter: 1e3}
    ignore_ports: [0x50, 443]
    run: {command: [x]}
  b:
    target: {path: deployment/b, namespace: ~}
    context:
    env: {env_file: ~}
    run: {command: [x]}
`);
    const a = doc.services.a!.config;
    assert.equal(a.target?.namespace, "010");
    assert.equal(a.kube_context, "1.20");
    assert.equal(a.feature.network.incoming.http_filter?.method_filter, "1e3");
    // Where the schema wants a number or a boolean, the YAML value stays one.
    assert.deepEqual(a.feature.network.incoming.ignore_ports, [80, 443]);
    assert.equal(a.operator, true);
    const b = doc.services.b!.config;
    assert.deepEqual(b.target, { path: "deployment/b" });
    assert.equal(b.kube_context, undefined);
    assert.deepEqual(b.feature.env, {});
  });
});

describe("keys", () => {
  it('keys that differ only in YAML type are duplicates: "1" and 1, true and "true"', async () => {
    const r = await validate(`services:
  api:
    env:
      override:
        "1": a
        1: b
    run: {command: [x]}
  true: {run: {command: [x]}}
  "true": {run: {command: [y]}}
`);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /mirrord-up\.yaml:6:9: error: services\.api\.env\.override: duplicate key "1"/);
    assert.match(r.stderr, /mirrord-up\.yaml:9:3: error: services: duplicate key "true"/);
  });

  it("__proto__ is reported, never silently dropped: as a service name and as a variable", async () => {
    const service = await validate(`services:
  __proto__: {run: {command: [x]}}
  ok: {run: {command: [x]}}
`);
    assert.equal(service.code, 2);
    assert.match(
      service.stderr,
      /mirrord-up\.yaml:2:3: error: services: the key "__proto__" is not supported/,
    );
    const variable = await validate(`services:
  api:
    env: {override: {__proto__: x}}
    run: {command: [x]}
`);
    assert.equal(variable.code, 2);
    assert.match(variable.stderr, /mirrord-up\.yaml:3:22: error: .*"__proto__" is not supported/);
  });
});

describe("environment variable names and NUL characters", () => {
  it('override names must be non-empty and without "=", located at the name', async () => {
    const r = await validate(`services:
  api:
    env:
      override: {"A=B": x, "": y, GOOD: z}
    run: {command: [x]}
`);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /:4:18: error: services\.api\.env\.override: invalid environment variable name "A=B"/,
    );
    assert.match(
      r.stderr,
      /:4:28: error: services\.api\.env\.override: an environment variable name cannot be empty/,
    );
    assert.match(r.stderr, /2 problems found/);
  });

  it("unset, include and exclude entries must be names, in list and in `A;B` form", async () => {
    const r = await validate(`services:
  a: {env: {unset: [OK, "X=Y", ""]}, run: {command: [x]}}
  b: {env: {include: "A;;B"}, run: {command: [x]}}
  c: {env: {exclude: "C=D"}, run: {command: [x]}}
`);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /:2:25: error: services\.a\.env\.unset\[1\]: invalid environment variable name "X=Y"/,
    );
    assert.match(
      r.stderr,
      /:2:32: error: services\.a\.env\.unset\[2\]: an environment variable name cannot be empty/,
    );
    assert.match(r.stderr, /:3:22: error: services\.b\.env\.include: .*cannot be empty \(between two ";"\)/);
    assert.match(
      r.stderr,
      /:4:22: error: services\.c\.env\.exclude: invalid environment variable name "C=D"/,
    );
  });

  it("a NUL in a command word or an env value is a located error that never prints the value", async () => {
    const r = await validate(`services:
  api:
    env: {override: {TOKEN: "s3cr3t\\0tail"}}
    run: {command: [node, "app\\0.js"]}
  web:
    run: {type: local, command: [x], }
`);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /:3:29: error: services\.api\.env\.override\.TOKEN: the value contains a NUL character/,
    );
    assert.match(
      r.stderr,
      /:4:27: error: services\.api\.run\.command\[1\]: the value contains a NUL character/,
    );
    // The file's own line is shown under the message; the value never appears in the message.
    for (const line of r.stderr.split("\n").filter((l) => l.includes("error:"))) {
      assert.doesNotMatch(line, /s3cr3t|app/);
    }
  });
});

describe("env.include and env.exclude", () => {
  it("setting both is rejected at exclude (mirrord refuses it when the session starts); one alone is fine", async () => {
    const r = await validate(`services:
  api:
    env:
      include: [A]
      exclude: [B]
    run: {command: [x]}
`);
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /mirrord-up\.yaml:5:7: error: services\.api\.env\.exclude: env sets both `include` and `exclude`; mirrord accepts one of them/,
    );
    assert.equal((await validate(`services: {a: {env: {include: [A]}, run: {command: [x]}}}`)).code, 0);
    assert.equal((await validate(`services: {a: {env: {exclude: "A;B"}, run: {command: [x]}}}`)).code, 0);
  });
});
