/**
 * Writes a chosen target back into mirrord-up.yaml as a text edit: one inserted `target:` (or a
 * replaced target value), every other byte unchanged. Comments, key order, formatting and
 * template expressions survive; rendered values are never written back.
 */
import { readFileSync, writeFileSync } from "node:fs";
import {
  isMap,
  isPair,
  isScalar,
  type Node,
  parseDocument,
  type Scalar,
  stringify,
  type YAMLMap,
} from "yaml";

export interface TargetToSave {
  path: string;
  namespace?: string;
}

/** Returns `source` with `services.<service>.target` set; throws an Error saying why it cannot. */
export function insertTarget(source: string, service: string, target: TargetToSave): string {
  const doc = parseDocument(source, { keepSourceTokens: true });
  if (doc.errors.length > 0) {
    throw new Error("the file is not plain YAML before templating (template tags outside quoted strings)");
  }
  const services = doc.get("services", true);
  if (!isMap(services)) throw new Error("no `services` mapping in the file");
  const pair = services.items.find((p) => isScalar(p.key) && String(p.key.value) === service);
  const serviceNode = pair?.value;
  if (!isMap(serviceNode) || !serviceNode.range)
    throw new Error(`service "${service}" is not a mapping in the file`);

  const flow = flowTarget(target);
  const targetPair = serviceNode.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === "target");
  if (targetPair) {
    const value = targetPair.value as Node | null;
    if (isMap(value) && !value.flow) return editBlockTarget(source, value, target);
    const range = value?.range ?? (targetPair.key as Scalar).range;
    if (!range) throw new Error("cannot find `target` in the file");
    if (!value || (isScalar(value) && value.value === null)) {
      // `target:` or `target: null`: the value goes right after the colon.
      const keyEnd = (targetPair.key as Scalar).range?.[1] ?? range[0];
      const colon = source.indexOf(":", keyEnd);
      const end = value?.range ? value.range[1] : colon + 1;
      return `${source.slice(0, colon + 1)} ${flow}${source.slice(end)}`;
    }
    return `${source.slice(0, range[0])}${flow}${source.slice(range[1])}`;
  }
  if (serviceNode.flow) {
    const at = serviceNode.range[0] + 1;
    const separator = serviceNode.items.length > 0 ? ", " : "";
    return `${source.slice(0, at)}target: ${flow}${separator}${source.slice(at)}`;
  }
  // Block mapping: a new first line, indented like the service's other keys.
  const firstKey = (serviceNode.items[0]?.key as Node | undefined)?.range?.[0] ?? serviceNode.range[0];
  const lineStart = source.lastIndexOf("\n", firstKey - 1) + 1;
  const indent = source.slice(lineStart, firstKey);
  return `${source.slice(0, lineStart)}${indent}target: ${flow}\n${source.slice(lineStart)}`;
}

/** Reads, edits and writes the file. */
export function saveTargetToFile(file: string, service: string, target: TargetToSave): void {
  const source = readFileSync(file, "utf8");
  writeFileSync(file, insertTarget(source, service, target));
}

function flowTarget(target: TargetToSave): string {
  const parts = [`path: ${scalar(target.path)}`];
  if (target.namespace) parts.push(`namespace: ${scalar(target.namespace)}`);
  return `{${parts.join(", ")}}`;
}

function scalar(value: string): string {
  return stringify(value).trimEnd();
}

/** A block `target:` mapping: set `path` (and `namespace`) in place, keeping its other lines. */
function editBlockTarget(source: string, map: YAMLMap, target: TargetToSave): string {
  const edits: { start: number; end: number; text: string }[] = [];
  const firstKey = (map.items[0]?.key as Node | undefined)?.range?.[0] ?? map.range?.[0] ?? 0;
  const lineStart = source.lastIndexOf("\n", firstKey - 1) + 1;
  const indent = source.slice(lineStart, firstKey);
  for (const [key, value] of [
    ["path", target.path],
    ["namespace", target.namespace],
  ] as const) {
    if (value === undefined) continue;
    const existing = map.items.find((p) => isScalar(p.key) && p.key.value === key);
    const range = (existing?.value as Node | undefined)?.range;
    if (range) edits.push({ start: range[0], end: range[1], text: scalar(value) });
    else edits.push({ start: lineStart, end: lineStart, text: `${indent}${key}: ${scalar(value)}\n` });
  }
  edits.sort((a, b) => b.start - a.start);
  let out = source;
  for (const e of edits) out = `${out.slice(0, e.start)}${e.text}${out.slice(e.end)}`;
  return out;
}
