/**
 * The parsed YAML document -> plain data, read the way upstream's serde_yaml reads it into typed
 * fields: where the schema expects text, a plain scalar is its text as written (`1.10`, `01234`,
 * `0x1F`, `True` stay exactly that), not a number or boolean printed again. Mapping keys are
 * always their text, so keys that differ only in YAML type (`1` and `"1"`) are duplicates.
 */
import {
  type Document,
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Node,
  type Pair,
  type Scalar,
} from "yaml";
import { UserError } from "../core/errors.js";
import { expandSchema, type JsonSchema } from "./json-schema-walk.js";

/** A problem found while reading the document, at an offset in the text the parser saw. */
interface DataProblem {
  /** Where in the data (for the `services.api.env: ` prefix of the message). */
  path: (string | number)[];
  offset: number;
  span: number;
  message: string;
  hint?: string;
}

export interface DocumentData {
  data: unknown;
  problems: DataProblem[];
}

/**
 * The schema annotation that says how a key written with nothing after it (`env:`, every entry
 * commented out) or as `~`/`null` is read, the way upstream's serde_yaml 0.9 reads its field:
 * - absent (no annotation; upstream's `Option<T>`): every such form means "not set";
 * - `"default"` (a `#[serde(default)]` struct, map or list): nothing after the key is the empty
 *   value, i.e. the default; `~` and `null` are errors;
 * - `"invalid"` (a `#[serde(default)]` boolean or enum, or a field upstream reads with
 *   `deserialize_any`): every such form is an error.
 * `test/config-empty-keys.test.ts` checks each key against the real serde_yaml.
 */
export const EMPTY_KEY_META = "x-empty";
export type EmptyKeyReading = "default" | "invalid";

/** What the schema allows at one place: the candidate schemas, and whether the key may be left out. */
interface Expected {
  schemas: JsonSchema[];
  optional: boolean;
  /** How the key reads when written empty (see `EMPTY_KEY_META`); undefined for `Option<T>`. */
  empty?: EmptyKeyReading;
}

/** Returned for a value that is to be left out: `namespace: ~` means "not set", as in upstream. */
const OMIT = Symbol("omit");

/** Aliases expand more than the limit; `offset` is where in the source, when known. */
export class AliasLimitExceeded extends UserError {
  constructor(readonly offset: number | undefined) {
    super({ message: "too many alias expansions" });
    this.name = "AliasLimitExceeded";
  }
}

/**
 * Converts `doc` guided by the JSON Schema `root`. Throws `AliasLimitExceeded` when aliases
 * expand more than `maxAliasCount` times in all (which also ends an alias that contains itself).
 */
export function documentToData(doc: Document, root: JsonSchema, maxAliasCount: number): DocumentData {
  const problems: DataProblem[] = [];
  let aliases = 0;
  let firstAlias: number | undefined;

  const problemAt = (
    path: (string | number)[],
    node: Node | null | undefined,
    message: string,
    hint?: string,
  ) => {
    const range = node?.range;
    problems.push({
      path,
      offset: range?.[0] ?? 0,
      span: range ? Math.max(1, range[1] - range[0]) : 1,
      message,
      hint,
    });
  };

  const resolve = (node: unknown): unknown => {
    let current = node;
    while (isAlias(current)) {
      firstAlias ??= current.range?.[0];
      aliases++;
      if (aliases > maxAliasCount) throw new AliasLimitExceeded(firstAlias);
      current = current.resolve(doc);
    }
    return current;
  };

  const convert = (raw: unknown, expected: Expected, path: (string | number)[]): unknown => {
    const node = resolve(raw);
    if (node === null || node === undefined) return emptyValue(expected, true);
    if (isMap(node)) return convertMap(node.items, expected, path);
    if (isSeq(node)) {
      const items = childSchemas(root, expected.schemas, { index: true });
      return node.items.map((item, index) => {
        const value = convert(item, { schemas: items, optional: false }, [...path, index]);
        return value === OMIT ? null : value;
      });
    }
    if (isScalar(node)) return convertScalar(node, expected, path);
    return null;
  };

  const convertMap = (
    pairs: Pair[],
    expected: Expected,
    path: (string | number)[],
  ): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const seen = new Set<string>();
    for (const pair of pairs) {
      if (!isPair(pair)) continue;
      const keyNode = resolve(pair.key);
      const key = keyText(keyNode);
      const at = (pair.key as Node | null) ?? (pair.value as Node | null);
      if (key === undefined) {
        problemAt(path, at, "a mapping key must be text, not a list or mapping");
        continue;
      }
      if (seen.has(key)) {
        problemAt(
          path,
          at,
          `duplicate key "${key}": each key may appear once in a mapping`,
          'remove or rename one of them (keys are compared as text: 1 and "1" are the same key)',
        );
        continue;
      }
      seen.add(key);
      if (key === "__proto__") {
        // JavaScript objects cannot hold this key as data; say so rather than lose it.
        problemAt(path, at, 'the key "__proto__" is not supported', "rename it");
        continue;
      }
      if (key.includes("\0")) {
        problemAt(path, at, "a key contains a NUL character (\\0), which no name or argument can hold");
        continue;
      }
      const value = convert(pair.value, childExpected(root, expected.schemas, key), [...path, key]);
      if (value !== OMIT) out[key] = value;
    }
    return out;
  };

  const convertScalar = (node: Scalar, expected: Expected, path: (string | number)[]): unknown => {
    const value = node.value;
    if (typeof value === "string") {
      if (value.includes("\0")) {
        // Never quoted: the value may be a secret.
        problemAt(
          path,
          node,
          "the value contains a NUL character (\\0), which no argument or variable can hold",
        );
      }
      return value;
    }
    // serde_yaml: `~`, `null` or nothing is None for an optional field (see `EMPTY_KEY_META`
    // for the others), and the text itself where a string is required (an element of a list or
    // a map of strings).
    if (value === null && expected.optional) {
      const bare = node.source === "";
      if (expected.empty === "default" && !bare && !acceptedTypes(expected.schemas)?.has("null")) {
        const key = String(path.at(-1));
        problemAt(
          path,
          node,
          `\`${node.source}\` is not an empty \`${key}\` (upstream refuses it too)`,
          `write nothing after \`${key}:\`, or leave the key out`,
        );
        return OMIT;
      }
      return emptyValue(expected, bare);
    }
    const accepts = acceptedTypes(expected.schemas);
    // Not text, and text is not what is expected here (ports, booleans): the YAML value, and
    // validation says what is wrong with it.
    if (!accepts?.has("string")) return value;
    if (value === null && accepts.has("null")) return null;
    return node.source ?? String(value);
  };

  /** A value written as nothing (`bare`: no text at all) or as `~`/`null`. */
  const emptyValue = (expected: Expected, bare: boolean): unknown => {
    const accepts = acceptedTypes(expected.schemas);
    if (accepts?.has("null")) return null;
    if (expected.optional) {
      if (expected.empty === undefined || (expected.empty === "default" && bare)) return OMIT;
      // Left for validation to reject, at the key, in its words.
      return null;
    }
    return accepts?.has("string") ? "" : null;
  };

  const data = convert(doc.contents, { schemas: expandSchema(root, root), optional: false }, []);
  return { data: data === OMIT ? null : data, problems };
}

/** A key's text: plain scalars as written (`1.10`, `true`, `~`), quoted ones as their value. */
export function keyText(node: unknown): string | undefined {
  if (node === null || node === undefined) return "";
  if (!isScalar(node)) return undefined;
  if (typeof node.value === "string") return node.value;
  return node.source ?? String(node.value);
}

function childExpected(root: JsonSchema, schemas: JsonSchema[], key: string): Expected {
  return {
    schemas: childSchemas(root, schemas, { key }),
    optional: isOptional(schemas, key),
    empty: emptyReading(schemas, key),
  };
}

/** The `EMPTY_KEY_META` annotation of property `key`, when one of `schemas` declares it. */
function emptyReading(schemas: JsonSchema[], key: string): EmptyKeyReading | undefined {
  for (const schema of schemas) {
    const props = schema.properties as Record<string, JsonSchema> | undefined;
    const reading = props && Object.hasOwn(props, key) ? props[key]?.[EMPTY_KEY_META] : undefined;
    if (reading === "default" || reading === "invalid") return reading;
  }
  return undefined;
}

function childSchemas(
  root: JsonSchema,
  schemas: JsonSchema[],
  at: { key?: string; index?: true },
): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const schema of schemas) {
    let child: unknown;
    if (at.index) child = schema.items;
    else {
      const props = schema.properties as Record<string, JsonSchema> | undefined;
      child = props && at.key !== undefined && Object.hasOwn(props, at.key) ? props[at.key] : undefined;
      if (child === undefined && typeof schema.additionalProperties === "object") {
        child = schema.additionalProperties;
      }
    }
    if (child && typeof child === "object") out.push(...expandSchema(root, child as JsonSchema));
  }
  return out;
}

/** True when `key` is a declared property that is not required (`Option<...>` upstream). */
function isOptional(schemas: JsonSchema[], key: string): boolean {
  return schemas.some((schema) => {
    const props = schema.properties as Record<string, unknown> | undefined;
    if (!props || !Object.hasOwn(props, key)) return false;
    const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
    return !required.includes(key);
  });
}

/** The JSON types the schemas accept here; undefined when nothing is known (accept anything). */
function acceptedTypes(schemas: JsonSchema[]): Set<string> | undefined {
  if (schemas.length === 0) return undefined;
  const types = new Set<string>();
  for (const schema of schemas) {
    const type = schema.type;
    if (typeof type === "string") types.add(type);
    else if (Array.isArray(type)) for (const t of type) types.add(String(t));
    else if (schema.const !== undefined) types.add(schema.const === null ? "null" : typeof schema.const);
    else if (Array.isArray(schema.enum))
      for (const v of schema.enum) types.add(v === null ? "null" : typeof v);
    else return undefined;
  }
  return types;
}
