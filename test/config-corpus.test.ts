/**
 * A corpus of broken files. Each one must give a located message (`file:line:col: error:`), exit 2,
 * and no stack trace. Run through the CLI in-process for speed, plus a few through the real binary.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { runCliCaptured } from "./helpers/cli.js";
import { BIN_ARGS } from "./helpers/paths.js";
import { tempDir } from "./helpers/tmp.js";

interface Case {
  name: string;
  text: string | Buffer;
  /** The line the first diagnostic must point at; `null` for problems with the file as a whole. */
  line: number | null;
  /** Something the message must say. */
  says: RegExp;
}

/**
 * Every byte value but NUL and newline, over and over (the same each run): binary junk, and the
 * NUL placed after it is what must be found.
 */
function garbage(n: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => ([0, 10].includes(i % 256) ? 0xff : i % 256)));
}

const run = (body: string) => `services:\n  api:\n${body}`;

const CASES: Case[] = [
  { name: "unclosed flow mapping", text: "services: {a: [\n", line: 2, says: /YAML syntax error/ },
  {
    name: "bad indentation",
    text: "services:\n  a:\n    run: {command: [x]}\n   bad: 1\n",
    line: 4,
    says: /indentation/,
  },
  {
    name: "tab indentation",
    text: "services:\n\ta:\n\t\trun: {command: [x]}\n",
    line: 2,
    says: /YAML syntax error/,
  },
  { name: "duplicate top-level key", text: "services: {}\nservices: {}\n", line: 2, says: /duplicate key/ },
  {
    name: "duplicate service",
    text: "services:\n  a: {run: {command: [x]}}\n  a: {run: {command: [y]}}\n",
    line: 3,
    says: /duplicate key/,
  },
  {
    name: "duplicate nested key",
    text: run("    run:\n      command: [x]\n      command: [y]\n"),
    line: 5,
    says: /duplicate key/,
  },
  {
    name: "alias bomb",
    text: `a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\nservices: {}\n`,
    line: 2,
    says: /aliases expand too far/,
  },
  {
    name: "several documents",
    text: "services: {}\n---\nservices: {}\n",
    line: 2,
    says: /YAML syntax error/,
  },
  { name: "top level is a list", text: "- services\n", line: 1, says: /must be a mapping/ },
  { name: "top level is a scalar", text: "hello\n", line: 1, says: /must be a mapping/ },
  { name: "empty file", text: "", line: 1, says: /empty/ },
  { name: "only comments", text: "# nothing here\n", line: 1, says: /empty/ },
  {
    name: "missing services",
    text: "common: {operator: true}\n",
    line: 1,
    says: /missing required key "services"/,
  },
  { name: "empty services", text: "services: {}\n", line: 1, says: /services is empty/ },
  { name: "services is a list", text: "services: [a, b]\n", line: 1, says: /services is a mapping/ },
  { name: "service is a string", text: "services:\n  api: node app.js\n", line: 2, says: /services\.api/ },
  {
    name: "missing run",
    text: "services:\n  api:\n    skip: false\n",
    line: 2,
    says: /missing required key "run"/,
  },
  {
    name: "missing command",
    text: run("    run: {type: exec}\n"),
    line: 3,
    says: /missing required key "command"/,
  },
  { name: "empty command", text: run("    run: {command: []}\n"), line: 3, says: /run.command is empty/ },
  {
    name: "command is a string",
    text: run("    run: {command: node app.js}\n"),
    line: 3,
    says: /list of strings/,
  },
  {
    name: "command has a mapping",
    text: run("    run: {command: [sleep, {seconds: 5}]}\n"),
    line: 3,
    says: /expected string/,
  },
  {
    name: "command program is empty",
    text: run('    run: {command: ["", x]}\n'),
    line: 3,
    says: /empty program name/,
  },
  {
    name: "unknown run type",
    text: run("    run: {type: docker, command: [x]}\n"),
    line: 3,
    says: /run.type is exec, container or local/,
  },
  {
    name: "unknown key in run",
    text: run("    run: {comand: [x]}\n"),
    line: 3,
    says: /unknown key "comand"|missing required key "command"/,
  },
  {
    name: "invalid default_mode",
    text: run("    default_mode: mirror\n    run: {command: [x]}\n"),
    line: 3,
    says: /default_mode is split or replace/,
  },
  {
    name: "unknown top-level key",
    text: "servics:\n  a: {run: {command: [x]}}\n",
    line: 1,
    says: /unknown key "servics"|missing required key/,
  },
  {
    name: "unknown common key",
    text: "common: {operater: true}\nservices: {a: {run: {command: [x]}}}\n",
    line: 1,
    says: /unknown key "operater"/,
  },
  {
    name: "common.operator is a string",
    text: "common: {operator: yes}\nservices: {a: {run: {command: [x]}}}\n",
    line: 1,
    says: /expected boolean/,
  },
  {
    name: "unknown service key",
    text: run("    command: [x]\n    run: {command: [x]}\n"),
    line: 3,
    says: /unknown key "command"/,
  },
  {
    name: "unknown target key",
    text: run("    target: {pth: deployment/x}\n    run: {command: [x]}\n"),
    line: 3,
    says: /unknown key "pth"/,
  },
  {
    name: "target is a bare path",
    text: run("    target: deployment/api\n    run: {command: [x]}\n"),
    line: 3,
    says: /expected `none`/,
  },
  {
    name: "target path of unknown kind",
    text: run("    target: {path: deplyment/api}\n    run: {command: [x]}\n"),
    line: 3,
    says: /not a target path/,
  },
  {
    name: "target path without a name",
    text: run("    target: {path: pod/}\n    run: {command: [x]}\n"),
    line: 3,
    says: /has no name/,
  },
  {
    name: "target path targetless",
    text: run("    target: {path: targetless}\n    run: {command: [x]}\n"),
    line: 3,
    says: /targetless/,
  },
  {
    name: "target path with junk after the name",
    text: run("    target: {path: pod/a/b/c/d}\n    run: {command: [x]}\n"),
    line: 3,
    says: /container/,
  },
  {
    name: "unknown env key",
    text: run("    env: {overrides: {A: b}}\n    run: {command: [x]}\n"),
    line: 3,
    says: /unknown key "overrides"/,
  },
  {
    name: "env value is a list",
    text: run("    env: {override: {A: [1, 2]}}\n    run: {command: [x]}\n"),
    line: 3,
    says: /expected a string/,
  },
  {
    name: "unknown http_filter key",
    text: run("    http_filter: {header: x}\n    run: {command: [x]}\n"),
    line: 3,
    says: /unknown key "header"/,
  },
  {
    name: "bad header regex",
    text: run('    http_filter: {header_filter: "^x-(a"}\n    run: {command: [x]}\n'),
    line: 3,
    says: /invalid regular expression/,
  },
  {
    name: "bad path regex",
    text: run('    http_filter: {path_filter: "*api"}\n    run: {command: [x]}\n'),
    line: 3,
    says: /invalid regular expression/,
  },
  {
    name: "two filter kinds",
    text: run("    http_filter: {header_filter: a, method_filter: GET}\n    run: {command: [x]}\n"),
    line: 3,
    says: /one filter kind/,
  },
  {
    name: "bad all_of entry",
    text: run("    http_filter: {all_of: [{heder: x}]}\n    run: {command: [x]}\n"),
    line: 3,
    says: /each all_of\/any_of entry/,
  },
  {
    name: "port negative",
    text: run("    ignore_ports: [-1]\n    run: {command: [x]}\n"),
    line: 3,
    says: /ports are 0-65535/,
  },
  {
    name: "port too large",
    text: run("    ignore_ports: [65536]\n    run: {command: [x]}\n"),
    line: 3,
    says: /ports are 0-65535/,
  },
  {
    name: "port is a string",
    text: run('    ignore_ports: ["80"]\n    run: {command: [x]}\n'),
    line: 3,
    says: /expected a port number/,
  },
  {
    name: "port is fractional",
    text: run("    ignore_ports: [80.5]\n    run: {command: [x]}\n"),
    line: 3,
    says: /whole number/,
  },
  {
    name: "filter port out of range",
    text: run("    http_filter: {ports: [99999]}\n    run: {command: [x]}\n"),
    line: 3,
    says: /0-65535|expected/,
  },
  {
    name: "skip is not a boolean",
    text: run("    skip: sometimes\n    run: {command: [x]}\n"),
    line: 3,
    says: /expected boolean/,
  },
  {
    name: "unknown queue kind",
    text: run("    messages: [kafka, rabbit]\n    run: {command: [x]}\n"),
    line: 3,
    says: /expected `auto`/,
  },
  {
    name: "messages is a number",
    text: run("    messages: 3\n    run: {command: [x]}\n"),
    line: 3,
    says: /expected `auto`/,
  },
  {
    name: "invalid service name",
    text: "services:\n  my/api: {run: {command: [x]}}\n",
    line: 2,
    says: /invalid service name/,
  },
  {
    name: "empty context",
    text: run('    context: ""\n    run: {command: [x]}\n'),
    line: 3,
    says: /context/,
  },
  {
    name: "template syntax error",
    text: run('    run: {command: ["{{ key }"]}\n'),
    line: 3,
    says: /template error/,
  },
  {
    name: "template undefined variable",
    text: run('    run: {command: ["{{ nope }}"]}\n'),
    line: 3,
    says: /variable `nope` is not defined/,
  },
  {
    name: "template unknown filter",
    text: run('    run: {command: ["{{ key | shout }}"]}\n'),
    line: 3,
    says: /unknown filter `shout`/,
  },
  {
    name: "get_env of a missing variable",
    text: run(`    run: {command: ["{{ get_env(name='NOT_SET_X') }}"]}\n`),
    line: 3,
    says: /NOT_SET_X/,
  },
  {
    name: "local service with a target",
    text: run("    target: none\n    run: {type: local, command: [x]}\n"),
    line: 3,
    says: /no effect on a `run.type: local`/,
  },
  {
    name: "replace mode on a pod",
    text: run("    default_mode: replace\n    target: {path: pod/p}\n    run: {command: [x]}\n"),
    line: 4,
    says: /incompatible mode and target/,
  },
  {
    name: "every service skipped",
    text: "services:\n  a: {skip: true, run: {command: [x]}}\n",
    line: 2,
    says: /no services to launch/,
  },
  {
    name: "a 5 MB file",
    text: `services:\n${"  # padding\n".repeat((5 * 1024 * 1024) / 12)}`,
    line: null,
    says: /limited to 1 MiB/,
  },
  {
    name: "binary garbage",
    text: Buffer.concat([Buffer.from("services:\n"), garbage(4096), Buffer.from([0])]),
    line: 2,
    says: /not text|not valid UTF-8/,
  },
  {
    name: "invalid UTF-8",
    text: Buffer.from([0x73, 0x3a, 0x20, 0xc3, 0x28, 0x0a]),
    line: 1,
    says: /not valid UTF-8/,
  },
];

const STACK_FRAME = /\n\s+at .+[:(]\d+:\d+\)?/;

describe("broken config corpus", () => {
  const dir = tempDir();
  it("has at least 40 cases", () => assert.ok(CASES.length >= 40, String(CASES.length)));
  CASES.forEach((c, index) => {
    it(`${c.name}: located message, exit 2, no stack trace`, async () => {
      const file = `case-${index}.yaml`;
      writeFileSync(join(dir, file), c.text);
      const result = await runCliCaptured(["validate", "-f", file], { cwd: dir, env: {} });
      assert.equal(result.code, 2, result.stderr);
      assert.equal(result.stdout, "");
      const first = result.stderr.split("\n")[0] ?? "";
      const prefix = c.line === null ? `${file}: error: ` : `${file}:${c.line}:`;
      assert.ok(first.startsWith(prefix), `expected "${prefix}..." but got:\n${result.stderr}`);
      if (c.line !== null) assert.match(first, /^[^:]+:\d+:\d+: error: /);
      assert.match(result.stderr, c.says);
      assert.doesNotMatch(result.stderr, STACK_FRAME);
      assert.doesNotMatch(result.stderr, /internal error/);
    });
  });

  it("the real binary prints the same, exits 2 and shows no stack trace", async () => {
    const file = "real.yaml";
    writeFileSync(join(dir, file), run("    run: {comand: [x]}\n"));
    const error = await promisify(execFile)(process.execPath, [...BIN_ARGS, "validate", "-f", file], {
      cwd: dir,
    }).then(
      () => assert.fail("expected a non-zero exit"),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(error.code, 2);
    assert.match(error.stderr, /^real\.yaml:3:11: error: services\.api\.run: unknown key "comand"/m);
    assert.match(error.stderr, /did you mean "command"\?/);
    assert.doesNotMatch(error.stderr, STACK_FRAME);
  });
});
