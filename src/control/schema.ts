/**
 * The JSON Schema subset the control contract is written in, the TypeScript type a schema
 * describes (`Infer`), and a validator for it. The messages are small flat records, so a few
 * keywords suffice and the client needs no schema library at run time; test/control-contract
 * checks that this validator and ajv agree.
 */

type JsonType = "string" | "integer" | "number" | "boolean" | "null" | "array" | "object";

/** The keywords the contract uses; any other would be ignored by `schemaProblem`, so there are none. */
export interface JsonSchema {
  description?: string;
  type?: JsonType | readonly JsonType[];
  /** Fields an object may have; others are allowed (a newer `up` may add some). */
  properties?: Readonly<Record<string, JsonSchema>>;
  required?: readonly string[];
  items?: JsonSchema;
  enum?: readonly (string | number | boolean | null)[];
  const?: string | number | boolean | null;
  minimum?: number;
  maximum?: number;
}

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type RequiredOf<S> = S extends { required: readonly (infer R)[] } ? R : never;
type InferObject<S> = S extends { properties: infer P }
  ? Simplify<
      { -readonly [K in keyof P as K extends RequiredOf<S> ? K : never]: Infer<P[K]> } & {
        -readonly [K in keyof P as K extends RequiredOf<S> ? never : K]?: Infer<P[K]>;
      }
    >
  : Record<string, unknown>;
type InferType<T, S> = T extends "string"
  ? string
  : T extends "integer" | "number"
    ? number
    : T extends "boolean"
      ? boolean
      : T extends "null"
        ? null
        : T extends "array"
          ? S extends { items: infer I }
            ? Infer<I>[]
            : unknown[]
          : T extends "object"
            ? InferObject<S>
            : never;

/** The TypeScript type of the values a schema (declared `as const`) accepts. */
export type Infer<S> = S extends { const: infer C }
  ? C
  : S extends { enum: readonly (infer E)[] }
    ? E
    : S extends { type: infer T }
      ? T extends readonly (infer U)[]
        ? InferType<U, S>
        : InferType<T, S>
      : unknown;

/**
 * The first way `value` breaks `schema`, as `services[0].pid: missing`; undefined when it
 * conforms. `at` names where `value` sits.
 */
export function schemaProblem(schema: JsonSchema, value: unknown, at = ""): string | undefined {
  const where = at === "" ? "the answer" : at;
  if (schema.const !== undefined && value !== schema.const) {
    return `${where}: ${shown(value)}, expected ${JSON.stringify(schema.const)}`;
  }
  if (schema.enum && !schema.enum.includes(value as never)) {
    return `${where}: ${shown(value)}, expected one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`;
  }
  if (schema.type !== undefined) {
    const types: readonly JsonType[] = typeof schema.type === "string" ? [schema.type] : schema.type;
    if (!types.some((t) => hasType(value, t)))
      return `${where}: ${shown(value)}, expected ${types.join(" or ")}`;
  }
  if (typeof value === "number") {
    if (schema.minimum !== undefined && value < schema.minimum) return `${where}: below ${schema.minimum}`;
    if (schema.maximum !== undefined && value > schema.maximum) return `${where}: above ${schema.maximum}`;
  }
  if (Array.isArray(value) && schema.items) {
    for (const [i, item] of value.entries()) {
      const problem = schemaProblem(schema.items, item, `${at}[${i}]`);
      if (problem) return problem;
    }
  }
  if (hasType(value, "object")) {
    const record = value as Record<string, unknown>;
    const field = (key: string) => (at === "" ? key : `${at}.${key}`);
    for (const key of schema.required ?? []) {
      if (!Object.hasOwn(record, key)) return `${field(key)}: missing`;
    }
    for (const [key, property] of Object.entries(schema.properties ?? {})) {
      if (!Object.hasOwn(record, key)) continue;
      const problem = schemaProblem(property, record[key], field(key));
      if (problem) return problem;
    }
  }
  return undefined;
}

function hasType(value: unknown, type: JsonType): boolean {
  switch (type) {
    case "null":
      return value === null;
    case "array":
      return Array.isArray(value);
    case "object":
      return typeof value === "object" && value !== null && !Array.isArray(value);
    case "integer":
      return Number.isInteger(value);
    default:
      return typeof value === type;
  }
}

function shown(value: unknown): string {
  if (value === undefined) return "missing";
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  if (typeof value === "object") return "an object";
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
