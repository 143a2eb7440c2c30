/**
 * Tera's value model: serde_json's `Value` as Tera sees it. Integers and floats are different
 * kinds (Tera prints `5` for both an integer 5 and a float 5.0, but JSON keeps `5.0`, and
 * integer maths overflows where float maths does not), so integers are `bigint` (i64 or u64
 * range) and floats are `number` (always finite). Objects are `Map`s in insertion order
 * (upstream mirrord builds serde_json with `preserve_order`). Nothing here ever reads a property
 * of a plain JS object by a name that came from a template.
 */

/** One Tera value. `bigint` is an integer, `number` a float. */
export type Value = null | boolean | string | bigint | number | readonly Value[] | ObjectValue;
/** A JSON object; keys keep their insertion order. */
export type ObjectValue = ReadonlyMap<string, Value>;

export const I64_MIN = -(2n ** 63n);
export const I64_MAX = 2n ** 63n - 1n;
export const U64_MAX = 2n ** 64n - 1n;

export function isObject(v: Value): v is ObjectValue {
  return v instanceof Map;
}
export function isArray(v: Value): v is readonly Value[] {
  return Array.isArray(v);
}
export function isNumber(v: Value): v is bigint | number {
  return typeof v === "bigint" || typeof v === "number";
}
export function isI64(v: Value): v is bigint {
  return typeof v === "bigint" && v >= I64_MIN && v <= I64_MAX;
}
export function isU64(v: Value): v is bigint {
  return typeof v === "bigint" && v >= 0n;
}
/** serde_json's `as_f64`: every number converts (integers round to the nearest float). */
export function asF64(v: bigint | number): number {
  return typeof v === "bigint" ? Number(v) : v;
}

/**
 * A JSON number as serde_json reads it: written without `.` or exponent and within the i64/u64
 * range it is an integer, otherwise a float. A JS number is judged by its JSON text, so `2` and
 * `2.0` are both the integer 2 (JS cannot tell them apart) and `2 ** 63` is the u64
 * 9223372036854775808.
 */
function numberFromJs(n: number): Value {
  if (!Number.isFinite(n)) return null;
  const text = JSON.stringify(n);
  if (/^-?\d+$/.test(text)) {
    const big = BigInt(text);
    if (big >= I64_MIN && big <= U64_MAX) return big;
  }
  return n;
}

/** Converts caller data into values; only own enumerable data is read, everything else is null. */
export function fromJs(data: unknown, depth = 0): Value {
  if (depth > 1000) throw new RangeError("context nested too deeply");
  if (data === null || data === undefined) return null;
  switch (typeof data) {
    case "boolean":
    case "string":
      return data;
    case "number":
      return numberFromJs(data);
    case "bigint":
      return data >= I64_MIN && data <= U64_MAX ? data : Number(data);
    case "object": {
      if (Array.isArray(data)) return data.map((item) => fromJs(item, depth + 1));
      const map = new Map<string, Value>();
      for (const key of Object.keys(data)) {
        const item = (data as Record<string, unknown>)[key];
        if (item !== undefined && typeof item !== "function") map.set(key, fromJs(item, depth + 1));
      }
      return map;
    }
    default:
      return null;
  }
}

/** The digits and exponent of the shortest decimal that reads back as `n` (n = 0.d1d2.. × 10^point). */
function shortestDigits(n: number): { negative: boolean; digits: string; point: number } {
  const [mantissa = "0", exponent = "0"] = Math.abs(n).toExponential().split("e");
  const digits = mantissa.replace(".", "");
  return { negative: n < 0 || Object.is(n, -0), digits, point: Number(exponent) + 1 };
}

/** Rust's `{}` for f64: the shortest round-trip digits, never an exponent, no `.0` for whole numbers. */
export function floatDisplay(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (!Number.isFinite(n)) return n > 0 ? "inf" : "-inf";
  const { negative, digits, point } = shortestDigits(n);
  const sign = negative ? "-" : "";
  if (digits === "0") return `${sign}0`;
  if (point >= digits.length) return sign + digits + "0".repeat(point - digits.length);
  if (point > 0) return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
  return `${sign}0.${"0".repeat(-point)}${digits}`;
}

/** serde_json's float text (the `ryu` crate): `5.0`, `0.001`, `1e21`, `1.5e-7`. */
function floatJson(n: number): string {
  const { negative, digits, point } = shortestDigits(n);
  const sign = negative ? "-" : "";
  const length = digits.length;
  const k = point - length; // n = digits × 10^k
  if (digits === "0") return `${sign}0.0`;
  if (k >= 0 && point <= 16) return `${sign}${digits}${"0".repeat(k)}.0`;
  if (point > 0 && point <= 16) return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
  if (point > -5 && point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  const rest = length === 1 ? "" : `.${digits.slice(1)}`;
  return `${sign}${digits[0]}${rest}e${point - 1}`;
}

/** serde_json's `Display` of a number (used where Tera writes `n.to_string()`). */
export function numberJson(v: bigint | number): string {
  return typeof v === "bigint" ? v.toString() : floatJson(v);
}

/** Tera's `ValueRender`: how `{{ value }}` prints. */
export function renderValue(v: Value): string {
  if (v === null) return "";
  if (typeof v === "string") return v;
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") return floatDisplay(v);
  if (isArray(v)) return `[${v.map(renderValue).join(", ")}]`;
  return "[object]";
}

/** serde_json's `to_string` / `to_string_pretty`. */
export function toJson(v: Value, pretty = false, indent = ""): string {
  if (v === null) return "null";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (isNumber(v)) return numberJson(v);
  const inner = `${indent}  `;
  if (isArray(v)) {
    if (v.length === 0) return "[]";
    const items = v.map((item) => toJson(item, pretty, inner));
    return pretty ? `[\n${inner}${items.join(`,\n${inner}`)}\n${indent}]` : `[${items.join(",")}]`;
  }
  if (v.size === 0) return "{}";
  const entries = [...v].map(
    ([key, item]) => `${JSON.stringify(key)}:${pretty ? " " : ""}${toJson(item, pretty, inner)}`,
  );
  return pretty ? `{\n${inner}${entries.join(`,\n${inner}`)}\n${indent}}` : `{${entries.join(",")}}`;
}

/** Tera's truthiness: empty, zero, false and null are falsy. */
export function isTruthy(v: Value): boolean {
  if (v === null) return false;
  if (typeof v === "boolean") return v;
  if (typeof v === "string") return v.length > 0;
  if (typeof v === "bigint") return v !== 0n;
  if (typeof v === "number") return v !== 0 && !Number.isNaN(v);
  if (isArray(v)) return v.length > 0;
  return v.size > 0;
}

/** serde_json's `==`: same kind and same content; an integer never equals a float. */
export function valuesEqual(a: Value, b: Value): boolean {
  if (typeof a !== typeof b) return false;
  if (isArray(a))
    return isArray(b) && a.length === b.length && a.every((item, i) => valuesEqual(item, b[i]!));
  if (isObject(a)) {
    if (!isObject(b) || a.size !== b.size) return false;
    for (const [key, item] of a) {
      if (!b.has(key) || !valuesEqual(item, b.get(key)!)) return false;
    }
    return true;
  }
  return a === b;
}

/** Rust's `str` ordering: by code point, where JS compares UTF-16 units. */
export function compareStrings(a: string, b: string): number {
  const x = Array.from(a);
  const y = Array.from(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return x.length - y.length;
}

/** Unicode `White_Space`, what Rust's `trim` and `split_whitespace` remove (JS adds U+FEFF, lacks U+0085). */
export const RUST_WHITESPACE =
  "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const LEADING = new RegExp(`^[${RUST_WHITESPACE}]+`);
const TRAILING = new RegExp(`[${RUST_WHITESPACE}]+$`);
export function trimStart(s: string): string {
  return s.replace(LEADING, "");
}
export function trimEnd(s: string): string {
  return s.replace(TRAILING, "");
}
export function trim(s: string): string {
  return trimEnd(trimStart(s));
}

let graphemeSegmenter: Intl.Segmenter | undefined;
/** Extended grapheme clusters, as the unicode-segmentation crate splits them. */
export function graphemes(s: string): string[] {
  graphemeSegmenter ??= new Intl.Segmenter(undefined, { granularity: "grapheme" });
  return Array.from(graphemeSegmenter.segment(s), (part) => part.segment);
}
