/**
 * Reading arguments the way Tera's built-ins do (`try_get_value!`, serde's `from_value`), with
 * Tera's messages. Built-ins throw `BuiltinError`; the renderer adds the position of the call.
 */
import { UserError } from "../core/errors.js";
import { I64_MAX, I64_MIN, isArray, isObject, toJson, type Value } from "./values.js";

/** A failure inside a filter, test or function; located by the caller. */
export class BuiltinError extends UserError {
  constructor(message: string) {
    super({ message });
    this.name = "BuiltinError";
  }
}

/** A filter's result would be longer than the text a render may make. */
export class TooLarge extends BuiltinError {}

/** Throws `TooLarge` when a result of `length` characters would exceed `maxChars`: checked before it is made. */
export function checkLength(length: number, maxChars: number): void {
  if (length > maxChars) throw new TooLarge("the result would be too large");
}

/** Named arguments of a call, already evaluated. */
export type Args = ReadonlyMap<string, Value>;

type Kind = "String" | "usize" | "i64" | "i32" | "u32" | "f64" | "bool" | "Vec<Value>";

function wrongType(filter: string, arg: string, value: Value, kind: Kind): BuiltinError {
  return new BuiltinError(
    arg === "value"
      ? `Filter \`${filter}\` was called on an incorrect value: got \`${toJson(value)}\` but expected a ${kind}`
      : `Filter \`${filter}\` received an incorrect type for arg \`${arg}\`: got \`${toJson(value)}\` but expected a ${kind}`,
  );
}

export function getString(filter: string, arg: string, v: Value): string {
  if (typeof v === "string") return v;
  throw wrongType(filter, arg, v, "String");
}

export function getBool(filter: string, arg: string, v: Value): boolean {
  if (typeof v === "boolean") return v;
  throw wrongType(filter, arg, v, "bool");
}

export function getArray(filter: string, arg: string, v: Value): readonly Value[] {
  if (isArray(v)) return v;
  throw wrongType(filter, arg, v, "Vec<Value>");
}

/** serde's integer conversions: integers in range only, never floats. */
export function getInteger(
  filter: string,
  arg: string,
  v: Value,
  kind: "usize" | "i64" | "i32" | "u32",
): bigint {
  const ranges: Record<typeof kind, [bigint, bigint]> = {
    usize: [0n, 2n ** 64n - 1n],
    i64: [I64_MIN, I64_MAX],
    i32: [-(2n ** 31n), 2n ** 31n - 1n],
    u32: [0n, 2n ** 32n - 1n],
  };
  const [lo, hi] = ranges[kind];
  if (typeof v === "bigint" && v >= lo && v <= hi) return v;
  throw wrongType(filter, arg, v, kind);
}

export function getFloat(filter: string, arg: string, v: Value): number {
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "number") return v;
  throw wrongType(filter, arg, v, "f64");
}

/** `from_value::<T>` for functions, which word their own messages. */
export function isUsize(v: Value): v is bigint {
  return typeof v === "bigint" && v >= 0n;
}

/** Rust's `{:?}` of a serde_json Value, used in a few of Tera's messages. */
export function debugValue(v: Value): string {
  if (v === null) return "Null";
  if (typeof v === "boolean") return `Bool(${v})`;
  if (typeof v === "string") return `String(${JSON.stringify(v)})`;
  if (typeof v === "bigint" || typeof v === "number") return `Number(${toJson(v)})`;
  if (isArray(v)) return `Array [${v.map(debugValue).join(", ")}]`;
  if (isObject(v))
    return `Object {${[...v].map(([k, x]) => `${JSON.stringify(k)}: ${debugValue(x)}`).join(", ")}}`;
  return String(v);
}
