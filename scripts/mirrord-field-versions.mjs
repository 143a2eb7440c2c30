#!/usr/bin/env node
/**
 * Writes src/plan/mirrord-field-versions.json: for each mirrord.json field mirrord-up writes, the
 * first mirrord release whose JSON Schema accepts it. `doctor`
 * compares the installed mirrord's version against it.
 *
 *   node scripts/mirrord-field-versions.mjs GIT_DIR
 *
 * GIT_DIR: a clone (bare is fine) of github.com/metalbear-co/mirrord with its tags. Every tag
 * `3.x.y` (with or without a leading `v`) whose root has `mirrord-schema.json` is read with
 * `git show`; nothing is built and nothing is written into the clone. Schema gaps after a field
 * first appears (3.113.0 wrote `incoming` as an externally tagged enum) are printed, not used.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The fields, as paths into mirrord.json. `*` is any key of a map (split_queues' queue ids);
 * `a=V` means the value V is among the values `a` accepts (a queue type added later).
 */
export const FIELDS = [
  "key",
  "accept_invalid_certificates",
  "operator",
  "telemetry",
  "kube_context",
  "target.path",
  "target.namespace",
  "feature.env.include",
  "feature.env.exclude",
  "feature.env.override",
  "feature.env.load_from_process",
  "feature.env.unset",
  "feature.env.env_file",
  "feature.env.mapping",
  "feature.network.incoming.mode",
  "feature.network.incoming.http_filter.header_filter",
  "feature.network.incoming.http_filter.path_filter",
  "feature.network.incoming.http_filter.method_filter",
  "feature.network.incoming.http_filter.body_filter",
  "feature.network.incoming.http_filter.header_filter_jq",
  "feature.network.incoming.http_filter.all_of",
  "feature.network.incoming.http_filter.any_of",
  "feature.network.incoming.http_filter.ports",
  "feature.network.incoming.ignore_ports",
  "feature.copy_target.enabled",
  "feature.copy_target.scale_down",
  "feature.split_queues",
  ...["SQS", "Kafka", "RMQ", "GCPPubSub", "AzureServiceBus", "RedisPubSub", "Temporal", "BullMQ"].map(
    (t) => `feature.split_queues.*.queue_type=${t}`,
  ),
  "feature.magic.aws",
];

const VERSION_TAG = /^v?(3)\.(\d+)\.(\d+)$/;

function main() {
  const gitDir = process.argv[2];
  if (!gitDir) {
    console.error("usage: node scripts/mirrord-field-versions.mjs GIT_DIR");
    process.exit(2);
  }
  const git = (...args) =>
    execFileSync("git", ["--git-dir", gitDir, ...args], { encoding: "utf8", maxBuffer: 64 << 20 });
  // Every 3.x.y tag with its commit's date; a tag dated after the next version's tag points
  // at a later commit than its name says (3.0.0 is on a commit of 2025) and is left out.
  const all = git(
    "for-each-ref",
    "--format=%(refname:short) %(*committerdate:unix)%(committerdate:unix)",
    "refs/tags",
  )
    .split("\n")
    .map((line) => line.split(" "))
    .filter(([tag]) => tag && VERSION_TAG.test(tag))
    .map(([tag, date]) => ({ tag, version: tag.replace(/^v/, ""), date: Number(date) }))
    .sort((a, b) => compare(a.version, b.version));
  const tags = all.filter((t, i) => i === all.length - 1 || t.date <= all[i + 1].date);
  const checked = [];
  for (const { tag, version } of tags) {
    let text;
    try {
      text = execFileSync("git", ["--git-dir", gitDir, "show", `${tag}:mirrord-schema.json`], {
        encoding: "utf8",
        maxBuffer: 64 << 20,
        stdio: ["ignore", "pipe", "ignore"],
      });
    } catch {
      continue;
    }
    const schema = JSON.parse(text);
    checked.push({ version, has: new Set(FIELDS.filter((f) => accepts(schema, f))) });
  }
  if (checked.length === 0) throw new Error("no tag with a mirrord-schema.json");
  const fields = {};
  for (const field of FIELDS) {
    // The first version whose schema accepts it. A later schema that does not is reported, not
    // used: such gaps are schema glitches (3.113.0 wrote `incoming` as an externally tagged enum).
    const first = checked.findIndex((c) => c.has.has(field));
    if (first < 0 || !checked[checked.length - 1].has.has(field)) {
      throw new Error(`the newest schema does not accept ${field}`);
    }
    const gaps = checked.slice(first).filter((c) => !c.has.has(field));
    if (gaps.length > 0)
      console.error(`${field}: not in the schema of ${gaps.map((c) => c.version).join(", ")}`);
    fields[field] = checked[first].version;
  }
  const first = checked[0].version;
  const last = checked[checked.length - 1].version;
  const out = {
    source: `mirrord-schema.json at ${checked.length} release tags of github.com/metalbear-co/mirrord, ${first} to ${last}`,
    oldest: first,
    newest: last,
    fields,
  };
  const file = join(
    dirname(fileURLToPath(import.meta.url)),
    "..",
    "src",
    "plan",
    "mirrord-field-versions.json",
  );
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote ${file}: ${FIELDS.length} fields, ${checked.length} tags (${first} to ${last})`);
}

function compare(a, b) {
  const pa = a.split(".").map(Number);
  const pb = b.split(".").map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return pa[i] - pb[i];
  return 0;
}

/** Whether the schema accepts `field` (a path, optionally `=value`). */
function accepts(schema, field) {
  const [path, value] = field.split("=");
  let nodes = [schema];
  for (const part of path.split(".")) {
    nodes = nodes.flatMap((n) => child(schema, n, part));
    if (nodes.length === 0) return false;
  }
  return value === undefined || nodes.some((n) => allowsValue(schema, n, value, 0));
}

/** The schemas of property `name` (or of any map key, for `*`) under `node`. */
function child(root, node, name) {
  return branches(root, node).flatMap((b) => {
    if (name === "*") {
      return typeof b.additionalProperties === "object" ? [b.additionalProperties] : [];
    }
    return b.properties && name in b.properties ? [b.properties[name]] : [];
  });
}

/** `node` with `$ref`s followed and `anyOf`/`oneOf`/`allOf` flattened. */
function branches(root, node, depth = 0) {
  if (!node || typeof node !== "object" || depth > 20) return [];
  if (node.$ref) return branches(root, resolve(root, node.$ref), depth + 1);
  const nested = [...(node.anyOf ?? []), ...(node.oneOf ?? []), ...(node.allOf ?? [])];
  return [node, ...nested.flatMap((n) => branches(root, n, depth + 1))];
}

function resolve(root, ref) {
  return ref
    .replace(/^#\//, "")
    .split("/")
    .reduce((n, key) => n?.[key.replace(/~1/g, "/").replace(/~0/g, "~")], root);
}

function allowsValue(root, node, value, depth) {
  return branches(root, node, depth).some(
    (b) => b.const === value || (Array.isArray(b.enum) && b.enum.includes(value)),
  );
}

main();
