/**
 * Reads the generated JSON Schema to answer "which keys are allowed here?" for did-you-mean
 * hints, so that the list of keys is never written a second time.
 */
export type JsonSchema = Record<string, unknown>;
type Schema = JsonSchema;

/** The property names the schema allows at `path` (object keys only; union branches merged). */
export function allowedKeysAt(root: Schema, path: readonly PropertyKey[]): string[] {
  const keys = new Set<string>();
  for (const node of resolveAt(root, root, path)) {
    const props = node.properties;
    if (props && typeof props === "object") for (const k of Object.keys(props)) keys.add(k);
  }
  return [...keys];
}

function resolveAt(root: Schema, node: Schema, path: readonly PropertyKey[]): Schema[] {
  const expanded = expand(root, node);
  if (path.length === 0) return expanded;
  const [head, ...rest] = path;
  const out: Schema[] = [];
  for (const candidate of expanded) {
    const props = candidate.properties as Record<string, Schema> | undefined;
    const items = candidate.items as Schema | undefined;
    if (typeof head === "number" && items) out.push(...resolveAt(root, items, rest));
    else if (typeof head === "string" && props?.[head]) out.push(...resolveAt(root, props[head], rest));
    else if (typeof head === "string" && typeof candidate.additionalProperties === "object") {
      out.push(...resolveAt(root, candidate.additionalProperties as Schema, rest));
    }
  }
  return out;
}

/** `node` with `$ref` followed and union branches (`anyOf`/`oneOf`/`allOf`) flattened. */
export function expandSchema(root: Schema, node: Schema): Schema[] {
  return expand(root, node);
}

function expand(root: Schema, node: Schema): Schema[] {
  if (typeof node.$ref === "string") {
    const target = node.$ref
      .replace(/^#\//, "")
      .split("/")
      .reduce<unknown>((acc, part) => (acc as Schema | undefined)?.[part], root);
    return target ? expand(root, target as Schema) : [];
  }
  const branches = (node.anyOf ?? node.oneOf ?? node.allOf) as Schema[] | undefined;
  if (branches) return branches.flatMap((b) => expand(root, b));
  return [node];
}
