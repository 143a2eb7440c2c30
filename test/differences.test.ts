/**
 * docs/differences.md lists every input upstream reads and mirrord-up refuses: each row's
 * examples are read by upstream's serde_yaml (the real one: `test/fixtures/serde-yaml/`) and
 * refused by mirrord-up, and every example names a row of the page.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { judge, refusalIds } from "./helpers/differences.js";

/**
 * Every refusal the file's validators can give (their messages, read from the source), and why
 * it is no difference, or the row of the page that lists it:
 * - a row id: upstream reads such input (the row's examples show it);
 * - `upstream refuses`: upstream's own types or serde_yaml refuse it too (a wrong type, a value
 *   outside an enum, a missing key, a duplicate, a YAML error, an unknown key where upstream
 *   denies unknown fields);
 * - `own key`: a key only mirrord-up has;
 * - `not the file`: about reading the file, not its content;
 * - `wording`: the place put before another message.
 * A new message fails this test until it is put in one of them.
 */
const REFUSAL_MESSAGES: Record<string, string> = {
  "an empty context names none": "empty-context",
  "an empty namespace names none": "empty-namespace",
  "an environment variable name cannot be empty": "env-name",
  "env sets both `include` and `exclude`": "include-and-exclude",
  "all_of is empty": "empty-composite",
  "any_of is empty": "empty-composite",
  "http_filter sets both": "filter-kinds",
  "invalid regular expression:": "regex",
  "`path: targetless` makes mirrord reject stealing": "targetless-path",
  '"${path}" has no name after': "target-path-shape",
  '"${path}" is not a target path: after the name only': "target-path-shape",
  "run.command is empty": "empty-command",
  "run.command starts with an empty program name": "empty-command",
  "invalid service name": "service-name",
  'the key "__proto__" is not supported': "proto-key",
  "a key contains a NUL character": "nul",
  "the value contains a NUL character": "nul",
  "duplicate key": "duplicate-key-text",
  "too many alias expansions": "alias-limit",
  "the template nests too deeply to parse": "template-depth",
  "the template is too complex to parse": "template-depth",
  "YAML aliases expand too far": "alias-limit",
  "${error.message}; config files are limited to 1 MiB": "file-size",
  // As written in the source: a template literal, so its backquotes are escaped.
  "\\`${name}\\` is \\`replace\\` mode, which needs the mirrord operator": "replace-without-operator",
  "${where}unknown key": "unknown-key",
  // mirrord's `Target::from_str` and `LabelTarget::from_str` refuse these too.
  '"${path}" is not a target path: it must start with': "upstream refuses",
  '"${path}" sets the label': "upstream refuses",
  '"${path}" is not a label target': "upstream refuses",
  // Upstream's `validate_targets` refuses replace mode on a target that cannot be copied.
  "incompatible mode and target": "upstream refuses",
  // Wrong types, values outside an enum, missing keys, YAML errors: serde_yaml refuses them.
  "expected a port number": "upstream refuses",
  "a port is a whole number": "upstream refuses",
  "ports are 0-65535": "upstream refuses",
  "expected a string or a list of strings": "upstream refuses",
  "expected a string": "upstream refuses",
  "each all_of/any_of entry is one of": "upstream refuses",
  "expected a target path such as deployment/api": "upstream refuses",
  "expected `none`, a mapping {path, namespace}, or nothing at all": "upstream refuses",
  "run.type is exec, container or local": "upstream refuses",
  "run.command is a list of strings": "upstream refuses",
  "default_mode is split or replace": "upstream refuses",
  // `env: ~`: serde_yaml reads no unit value into a defaulted struct, map or list.
  "\\`${node.source}\\` is not an empty": "upstream refuses",
  "services is a mapping of service names to services": "upstream refuses",
  // Upstream reads `services: {}` and then stops: no service to run.
  "services is empty": "upstream refuses",
  "a mapping key must be text": "upstream refuses",
  "the file is empty": "upstream refuses",
  "the file is not text": "upstream refuses",
  "the file is not valid UTF-8 text": "upstream refuses",
  "YAML syntax error": "upstream refuses",
  "${dotted(path.slice(0, -1))": "upstream refuses",
  "services.${name}: \\`${name}:\\` is at the level of the services": "upstream refuses",
  "queue kinds are": "own key",
  "a split_queues entry needs queue_type": "own key",
  "expected `auto`, a list of queue kinds": "own key",
  "both `env_file` and `env.env_file` are set": "own key",
  "\\`${field}\\` has no effect on a \\`run.type: local\\` service": "own key",
  "\\`env.${field}\\` needs mirrord": "own key",
  "${where}${message}": "wording",
  "config file not found": "not the file",
  "cannot read the config file": "not the file",
};

/**
 * Files whose messages are refusals of the file's content (`lifecycle-schema.ts` and
 * `env-file.ts` judge only mirrord-up's own keys; Tera's errors are Tera's, but for the bounds of
 * the template parser, `peg.ts`).
 */
const VALIDATORS = [
  "src/config/schema.ts",
  "src/config/yaml-data.ts",
  "src/config/target-path.ts",
  "src/config/load.ts",
  "src/plan/assemble.ts",
  "src/template/peg.ts",
];

/** The text of each `message:`/`error:` string, `problemAt(..., "...")` and `new BoundExceeded("...")` in `source`. */
function messagesIn(source: string): string[] {
  const literal =
    /(?:\b(?:message|error):\s*|problemAt\(\s*\w+,\s*\w+,\s*|new BoundExceeded\()(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|`((?:[^`\\]|\\.)*)`)/g;
  return [...source.matchAll(literal)].map((m) => m[1] ?? m[2] ?? m[3] ?? "");
}

interface Example {
  name: string;
  id: string;
  yaml: string;
}
type Verdict = { ok: true } | { ok: false; error: string };

const fixtures = new URL("./fixtures/serde-yaml/", import.meta.url);
const read = <T>(name: string): T => JSON.parse(readFileSync(new URL(name, fixtures), "utf8")) as T;
const { cases } = read<{ cases: Example[] }>("refusals.json");
const verdicts = read<Record<string, Verdict>>("refusals-verdicts.json");

const RUN = "services:\n  api:\n    run: {command: [app]}\n";
/**
 * Rows whose example is made here rather than read by serde_yaml: a file over 1 MiB (a comment,
 * which serde_yaml skips), and a template Tera renders (800 nested `if`s: the real Tera 1.17.1
 * renders 2,000 and overflows its stack at 5,000, run by hand with the generator of
 * `test/fixtures/tera-dates/`).
 */
const MADE_HERE: Record<string, string> = {
  "file-size": `# ${"x".repeat(1024 * 1024)}\n${RUN}`,
  "template-depth": `${"{% if true %}".repeat(800)}${RUN}${"{% endif %}".repeat(800)}`,
};

describe("inputs upstream reads and mirrord-up refuses (docs/differences.md)", () => {
  const ids = refusalIds();

  it("every refusal a validator can give is a row of the page, or no difference (and says why)", () => {
    const root = new URL("../", import.meta.url);
    const messages = VALIDATORS.flatMap((file) => messagesIn(readFileSync(new URL(file, root), "utf8")));
    assert.ok(messages.length > 40, `only ${messages.length} messages found`);
    const used = new Set<string>();
    for (const message of messages) {
      // Conditional messages (`${x ? "a" : "b"}`) are the ones written inside them.
      if (message.startsWith("${") && message.includes("?")) continue;
      const keys = Object.keys(REFUSAL_MESSAGES).filter((k) => message.startsWith(k));
      assert.ok(keys.length > 0, `unclassified refusal: ${message}`);
      for (const k of keys) used.add(k);
    }
    for (const [key, verdict] of Object.entries(REFUSAL_MESSAGES)) {
      assert.ok(used.has(key), `no validator says ${JSON.stringify(key)} any more`);
      if (!["upstream refuses", "own key", "not the file", "wording"].includes(verdict)) {
        assert.ok(ids.includes(verdict), `${JSON.stringify(key)}: no row ${verdict} on the page`);
      }
    }
  });

  it("every row has an example, and every example a row", () => {
    assert.ok(ids.length >= 15, `only ${ids.length} rows`);
    const exemplified = new Set([...cases.map((c) => c.id), ...Object.keys(MADE_HERE)]);
    for (const id of ids) assert.ok(exemplified.has(id), `row ${id} has no example`);
    for (const id of exemplified) assert.ok(ids.includes(id), `example ${id} has no row on the page`);
  });

  for (const c of cases) {
    it(c.name, () => {
      const upstream = verdicts[c.name];
      assert.ok(upstream, `no verdict for ${c.name}: run test/fixtures/serde-yaml/generate.sh`);
      assert.ok(upstream.ok, `upstream refuses it too, so it is no difference: ${JSON.stringify(upstream)}`);
      const got = judge(c.yaml);
      assert.equal(got.ok, false, `mirrord-up reads it:\n${c.yaml}`);
    });
  }

  for (const [id, yaml] of Object.entries(MADE_HERE)) {
    it(`${id}/made-here`, () => {
      assert.equal(judge(yaml).ok, false);
    });
  }
});
