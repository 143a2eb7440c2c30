/**
 * Tera's built-in filters (`builtins/filters/*.rs` of Tera 1.20), with the same argument names,
 * defaults, results and error messages. `safe` and `default` are handled by the renderer, as in
 * Tera.
 */
import {
  type Args,
  BuiltinError,
  checkLength,
  getArray,
  getBool,
  getFloat,
  getInteger,
  getString,
} from "./args.js";
import { formatDate } from "./date.js";
import { f64AsI64, parseRustFloat, parseRustInt, roundHalfAwayFromZero, toFixedRust } from "./numbers.js";
import { dottedPointer } from "./pointer.js";
import { slugify } from "./slug.js";
import {
  compareStrings,
  graphemes,
  isArray,
  isNumber,
  isObject,
  isU64,
  RUST_WHITESPACE,
  renderValue,
  toJson,
  trim,
  trimEnd,
  trimStart,
  type Value,
  valuesEqual,
} from "./values.js";

/**
 * A filter: the value it is applied to, its keyword arguments, and the longest text it may make
 * (the filters whose result can be many times their input check it before making it).
 */
type FilterFn = (value: Value, args: Args, maxChars: number) => Value;

/**
 * How much of its input a filter reads, which the renderer charges before running it. A filter
 * without one reads only the top level of its value and of each argument.
 */
interface FilterCost {
  /** Reads its value whole: prints, serialises, compares or sorts every item. */
  walks?: boolean;
  /** Sorts, dedups or groups its value: the walk is charged log n times. */
  sorts?: boolean;
  /** Looks up its `attribute` argument in every item. */
  attributePerItem?: boolean;
}

/** A filter, with its cost where it reads more than the top level of its input. */
export interface Filter extends FilterFn {
  readonly cost?: FilterCost;
}

/** Declares a filter's cost where it is defined, so that a new filter that reads its input whole says so. */
function withCost(cost: FilterCost, run: FilterFn): Filter {
  return Object.assign(run, { cost });
}

/** Patterns read from a file keep `\n` and `\t` as two characters; Tera turns them back. */
const unescapeControls = (s: string) => s.replaceAll("\\n", "\n").replaceAll("\\t", "\t");

/** serde_json's `to_value(f64)`: a float that is not finite becomes null. */
const float = (f: number): Value => (Number.isFinite(f) ? f : null);

function str(name: string): (value: Value) => string {
  return (value) => getString(name, "value", value);
}

function requiredString(filter: string, args: Args, arg: string, message?: string): string {
  const v = args.get(arg);
  if (v === undefined)
    throw new BuiltinError(message ?? `Filter \`${filter}\` expected an arg called \`${arg}\``);
  return getString(filter, arg, v);
}

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#x27;",
  "/": "&#x2F;",
};
const XML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&apos;",
};

// `\w` and `\b` as Rust's regex crate means them: Unicode word characters.
const W = "[\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}]";
const B = `(?:(?<=${W})(?!${W})|(?<!${W})(?=${W}))`;
const WORDS = new RegExp(
  `${B}([\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}'])((?:${W}|')*)${B}`,
  "gu",
);
const STRIPTAGS = /<!--[^\n]*?-->|<[^>]*>/gu;
const SPACELESS = new RegExp(`>[${RUST_WHITESPACE}]+<`, "gu");

/** Percent-encodes UTF-8 bytes, keeping the ASCII characters in `keep`. */
function percentEncode(s: string, keep: RegExp): string {
  let out = "";
  for (const byte of new TextEncoder().encode(s)) {
    const ch = String.fromCharCode(byte);
    out += byte < 0x80 && keep.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Rust's `str::lines`: split on `\n`, drop a final empty line and each line's trailing `\r`. */
function lines(s: string): string[] {
  if (s === "") return [];
  const parts = s.split("\n");
  if (parts.at(-1) === "") parts.pop();
  return parts.map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line));
}

function trimMatches(s: string, pat: string, fromStart: boolean): string {
  if (pat === "") return s;
  let out = s;
  if (fromStart) while (out.startsWith(pat)) out = out.slice(pat.length);
  else while (out.endsWith(pat)) out = out.slice(0, -pat.length);
  return out;
}

/** How `sort` orders keys of one kind (Tera's `SortStrategy`). */
function sortKey(first: Value): (key: Value) => string | number | boolean {
  if (first === null) throw new BuiltinError("Null is not a sortable value");
  if (isObject(first)) throw new BuiltinError("Object is not a sortable value");
  return (key) => {
    if (typeof first === "boolean") {
      if (typeof key !== "boolean") throw new BuiltinError(`expected bool got ${toJson(key)}`);
      return key;
    }
    if (isNumber(first)) {
      if (!isNumber(key)) throw new BuiltinError(`expected number got ${toJson(key)}`);
      return Number(key);
    }
    if (typeof first === "string") {
      if (typeof key !== "string") throw new BuiltinError(`expected string got ${toJson(key)}`);
      return key;
    }
    if (!isArray(key)) throw new BuiltinError(`expected array got ${toJson(key)}`);
    return key.length;
  };
}

function compareKeys(a: string | number | boolean, b: string | number | boolean): number {
  if (typeof a === "string" && typeof b === "string") return compareStrings(a, b);
  if (typeof a === "number" && typeof b === "number" && a === b) {
    // f64::total_cmp puts -0 before +0.
    return Object.is(a, -0) === Object.is(b, -0) ? 0 : Object.is(a, -0) ? -1 : 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `slice`'s index: negative counts from the end; Rust's float-to-usize casts saturate at 0. */
function sliceIndex(i: number, length: number): number {
  const n = i >= 0 ? i : length + i;
  return Number.isNaN(n) || n < 0 ? 0 : Math.trunc(n);
}

const UNITS_DECIMAL = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
const UNITS_BINARY = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];

export const filters: ReadonlyMap<string, Filter> = new Map<string, Filter>([
  ["upper", (v) => str("upper")(v).toUpperCase()],
  ["lower", (v) => str("lower")(v).toLowerCase()],
  ["trim", (v) => trim(str("trim")(v))],
  ["trim_start", (v) => trimStart(str("trim_start")(v))],
  ["trim_end", (v) => trimEnd(str("trim_end")(v))],
  [
    "trim_start_matches",
    (v, a) =>
      trimMatches(
        str("trim_start_matches")(v),
        unescapeControls(requiredString("trim_start_matches", a, "pat")),
        true,
      ),
  ],
  [
    "trim_end_matches",
    (v, a) =>
      trimMatches(
        str("trim_end_matches")(v),
        unescapeControls(requiredString("trim_end_matches", a, "pat")),
        false,
      ),
  ],
  [
    "truncate",
    (v, a) => {
      const s = str("truncate")(v);
      const lengthArg = a.get("length");
      const length = lengthArg === undefined ? 255n : getInteger("truncate", "length", lengthArg, "usize");
      const endArg = a.get("end");
      const end = endArg === undefined ? "…" : getString("truncate", "end", endArg);
      const parts = graphemes(s);
      if (length >= BigInt(parts.length)) return s;
      return parts.slice(0, Number(length)).join("") + end;
    },
  ],
  [
    "wordcount",
    (v) =>
      BigInt(
        trim(str("wordcount")(v))
          .split(new RegExp(`[${RUST_WHITESPACE}]+`))
          .filter(Boolean).length,
      ),
  ],
  [
    "replace",
    (v, a, maxChars) => {
      const s = str("replace")(v);
      const from = requiredString("replace", a, "from");
      const to = requiredString("replace", a, "to");
      if (from !== "") {
        const pieces = s.split(from);
        checkLength(s.length + (pieces.length - 1) * (to.length - from.length), maxChars);
        return pieces.join(to);
      }
      const chars = Array.from(s);
      checkLength(s.length + (chars.length + 1) * to.length, maxChars);
      return chars.length === 0 ? to : to + chars.join(to) + to;
    },
  ],
  [
    "capitalize",
    (v) => {
      const [first = "", ...rest] = Array.from(str("capitalize")(v));
      return first.toUpperCase() + rest.join("").toLowerCase();
    },
  ],
  ["urlencode", (v) => percentEncode(str("urlencode")(v), /[A-Za-z0-9\-._~/%]/)],
  ["urlencode_strict", (v) => percentEncode(str("urlencode_strict")(v), /[A-Za-z0-9]/)],
  ["addslashes", (v) => str("addslashes")(v).replace(/[\\"']/g, (c) => `\\${c}`)],
  ["slugify", (v) => slugify(str("slugify")(v))],
  [
    "title",
    (v) =>
      str("title")(v).replace(
        WORDS,
        (_m, first: string, rest: string) => first.toUpperCase() + rest.toLowerCase(),
      ),
  ],
  ["linebreaksbr", (v) => str("linebreaksbr")(v).replaceAll("\r\n", "<br>").replaceAll("\n", "<br>")],
  [
    "indent",
    (v, a, maxChars) => {
      const s = str("indent")(v);
      const prefixArg = a.get("prefix");
      const prefix = prefixArg === undefined ? "    " : getString("indent", "prefix", prefixArg);
      const firstArg = a.get("first");
      const first = firstArg === undefined ? false : getBool("indent", "first", firstArg);
      const blankArg = a.get("blank");
      const blank = blankArg === undefined ? false : getBool("indent", "blank", blankArg);
      const all = lines(s);
      checkLength(s.length + all.length * prefix.length, maxChars);
      return all
        .map((line, i) => {
          if (i === 0) return (first ? prefix : "") + line;
          return (blank || trimStart(line) !== "" ? prefix : "") + line;
        })
        .join("\n");
    },
  ],
  ["striptags", (v) => str("striptags")(v).replace(STRIPTAGS, "")],
  ["spaceless", (v) => str("spaceless")(v).replace(SPACELESS, "><")],
  ["escape", (v) => getString("escape_html", "value", v).replace(/[&<>"'/]/g, (c) => HTML_ESCAPES[c]!)],
  ["escape_xml", (v) => getString("escape_html", "value", v).replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!)],
  [
    "split",
    (v, a) => {
      const s = str("split")(v);
      const pat = unescapeControls(requiredString("split", a, "pat"));
      return pat === "" ? ["", ...Array.from(s), ""] : s.split(pat);
    },
  ],
  [
    "int",
    (v, a) => {
      const defaultArg = a.get("default");
      const fallback = defaultArg === undefined ? 0n : getInteger("int", "default", defaultArg, "i64");
      const baseArg = a.get("base");
      const base = baseArg === undefined ? 10 : Number(getInteger("int", "base", baseArg, "u32"));
      if (base < 2 || base > 36) throw new BuiltinError(`radix must be in the range 2..=36, got ${base}`);
      if (typeof v === "string") {
        let s = trim(v);
        const prefix = { 2: "0b", 8: "0o", 16: "0x" }[base];
        if (prefix) s = trimMatches(s, prefix, true);
        const parsed = parseRustInt(s, base);
        if (parsed !== undefined) return parsed;
        if (s.includes(".")) {
          const f = parseRustFloat(s);
          return f === undefined ? fallback : f64AsI64(f);
        }
        return fallback;
      }
      if (isNumber(v)) return f64AsI64(Number(v));
      throw new BuiltinError("Filter `int` received an unexpected type");
    },
  ],
  [
    "float",
    (v, a) => {
      const defaultArg = a.get("default");
      const fallback = defaultArg === undefined ? 0 : getFloat("float", "default", defaultArg);
      if (typeof v === "string") return float(parseRustFloat(trim(v)) ?? fallback);
      if (isNumber(v)) return float(Number(v));
      throw new BuiltinError("Filter `float` received an unexpected type");
    },
  ],
  ["first", (v) => getArray("first", "value", v)[0] ?? ""],
  ["last", (v) => getArray("last", "value", v).at(-1) ?? ""],
  [
    "nth",
    (v, a) => {
      const arr = getArray("nth", "value", v);
      if (arr.length === 0) return "";
      const n = a.get("n");
      if (n === undefined) throw new BuiltinError("The `nth` filter has to have an `n` argument");
      const index = getInteger("nth", "n", n, "usize");
      return index < BigInt(arr.length) ? arr[Number(index)]! : "";
    },
  ],
  [
    "join",
    withCost({ walks: true }, (v, a, maxChars) => {
      const arr = getArray("join", "value", v);
      const sepArg = a.get("sep");
      const sep = sepArg === undefined ? "" : unescapeControls(getString("truncate", "sep", sepArg));
      const parts = arr.map(renderValue);
      checkLength(
        parts.reduce((sum, part) => sum + part.length, 0) + Math.max(0, parts.length - 1) * sep.length,
        maxChars,
      );
      return parts.join(sep);
    }),
  ],
  [
    "sort",
    withCost({ walks: true, sorts: true, attributePerItem: true }, (v, a) => {
      const arr = getArray("sort", "value", v);
      if (arr.length === 0) return arr;
      const attrArg = a.get("attribute");
      const attribute = attrArg === undefined ? "" : getString("sort", "attribute", attrArg);
      const fieldOf = (item: Value) => {
        const found = dottedPointer(item, attribute);
        if (found === undefined)
          throw new BuiltinError(`attribute '${attribute}' does not reference a field`);
        return found;
      };
      const keyOf = sortKey(fieldOf(arr[0]!));
      const keyed = arr.map((item) => ({ item, key: keyOf(fieldOf(item)) }));
      return keyed.sort((x, y) => compareKeys(x.key, y.key)).map((x) => x.item);
    }),
  ],
  [
    "unique",
    withCost({ walks: true, sorts: true, attributePerItem: true }, (v, a) => {
      const arr = getArray("unique", "value", v);
      if (arr.length === 0) return arr;
      const caseArg = a.get("case_sensitive");
      const caseSensitive = caseArg === undefined ? false : getBool("unique", "case_sensitive", caseArg);
      const attrArg = a.get("attribute");
      const attribute = attrArg === undefined ? "" : getString("unique", "attribute", attrArg);
      const first = dottedPointer(arr[0]!, attribute);
      if (first === undefined) throw new BuiltinError(`attribute '${attribute}' does not reference a field`);
      const kind = (x: Value) =>
        x === null
          ? "null"
          : isArray(x)
            ? "array"
            : isObject(x)
              ? "object"
              : isNumber(x)
                ? "number"
                : typeof x;
      if (first === null) throw new BuiltinError("Null is not a unique value");
      if (typeof first === "number") throw new BuiltinError("Unique floats are not implemented");
      if (isArray(first)) throw new BuiltinError("Unique arrays are not implemented");
      if (isObject(first)) throw new BuiltinError("Unique objects are not implemented");
      const seen = new Set<string | bigint | boolean>();
      const out: Value[] = [];
      for (const item of arr) {
        const key = dottedPointer(item, attribute);
        if (key === undefined) continue;
        if (kind(key) !== kind(first)) throw new BuiltinError("unique filter can't compare multiple types");
        let id: string | bigint | boolean;
        if (typeof key === "string") id = caseSensitive ? key : key.toLowerCase();
        else if (typeof key === "bigint" && key <= 2n ** 63n - 1n) id = key;
        else if (typeof key === "boolean") id = key;
        else throw new BuiltinError(`expected number got ${toJson(key)}`);
        if (seen.has(id)) continue;
        seen.add(id);
        out.push(item);
      }
      return out;
    }),
  ],
  [
    "slice",
    (v, a) => {
      const arr = getArray("slice", "value", v);
      if (arr.length === 0) return arr;
      const startArg = a.get("start");
      const start = startArg === undefined ? 0 : sliceIndex(getFloat("slice", "start", startArg), arr.length);
      const endArg = a.get("end");
      let end = endArg === undefined ? arr.length : sliceIndex(getFloat("slice", "end", endArg), arr.length);
      if (end > arr.length) end = arr.length;
      return start >= end ? [] : arr.slice(start, end);
    },
  ],
  [
    "group_by",
    withCost({ walks: true, sorts: true, attributePerItem: true }, (v, a) => {
      const arr = getArray("group_by", "value", v);
      if (arr.length === 0) return new Map();
      const attrArg = a.get("attribute");
      if (attrArg === undefined)
        throw new BuiltinError("The `group_by` filter has to have an `attribute` argument");
      const key = getString("group_by", "attribute", attrArg);
      const grouped = new Map<string, Value[]>();
      for (const item of arr) {
        const found = dottedPointer(item, key);
        if (found === undefined || found === null) continue;
        const name = typeof found === "string" ? found : toJson(found);
        const group = grouped.get(name);
        if (group) group.push(item);
        else grouped.set(name, [item]);
      }
      return grouped;
    }),
  ],
  [
    "filter",
    withCost({ walks: true, attributePerItem: true }, (v, a) => {
      const arr = getArray("filter", "value", v);
      if (arr.length === 0) return arr;
      const attrArg = a.get("attribute");
      if (attrArg === undefined)
        throw new BuiltinError("The `filter` filter has to have an `attribute` argument");
      const key = getString("filter", "attribute", attrArg);
      const wanted = a.get("value") ?? null;
      return arr.filter((item) => {
        const found = dottedPointer(item, key) ?? null;
        return wanted === null ? found !== null : valuesEqual(found, wanted);
      });
    }),
  ],
  [
    "map",
    withCost({ attributePerItem: true }, (v, a) => {
      const arr = getArray("map", "value", v);
      if (arr.length === 0) return arr;
      const attrArg = a.get("attribute");
      if (attrArg === undefined)
        throw new BuiltinError("The `map` filter has to have an `attribute` argument");
      const attribute = getString("map", "attribute", attrArg);
      return arr.map((item) => dottedPointer(item, attribute) ?? null).filter((x) => x !== null);
    }),
  ],
  [
    "concat",
    (v, a) => {
      const arr = getArray("concat", "value", v);
      const other = a.get("with");
      if (other === undefined) throw new BuiltinError("The `concat` filter has to have a `with` argument");
      return isArray(other) ? [...arr, ...other] : [...arr, other];
    },
  ],
  [
    "abs",
    (v) => {
      if (isU64(v)) return v;
      if (typeof v === "bigint") {
        if (v === -(2n ** 63n)) throw new BuiltinError("attempt to negate with overflow");
        return -v;
      }
      if (typeof v === "number") return Math.abs(v);
      throw new BuiltinError("Filter `abs` was used on a value that isn't a number.");
    },
  ],
  [
    "pluralize",
    (v, a) => {
      const num = getFloat("pluralize", "value", v);
      const pluralArg = a.get("plural");
      const plural = pluralArg === undefined ? "s" : getString("pluralize", "plural", pluralArg);
      const singularArg = a.get("singular");
      const singular = singularArg === undefined ? "" : getString("pluralize", "singular", singularArg);
      return Math.abs(Math.abs(num) - 1) > Number.EPSILON ? plural : singular;
    },
  ],
  [
    "round",
    (v, a) => {
      const num = getFloat("round", "value", v);
      const methodArg = a.get("method");
      const method = methodArg === undefined ? "common" : getString("round", "method", methodArg);
      const precisionArg = a.get("precision");
      const precision =
        precisionArg === undefined ? 0 : Number(getInteger("round", "precision", precisionArg, "i32"));
      const multiplier = precision === 0 ? 1 : 10 ** precision;
      const round = { common: roundHalfAwayFromZero, ceil: Math.ceil, floor: Math.floor }[method];
      if (!round) {
        throw new BuiltinError(
          `Filter \`round\` received an incorrect value for arg \`method\`: got \`${JSON.stringify(method)}\`, only common, ceil and floor are allowed`,
        );
      }
      return float(round(multiplier * num) / multiplier);
    },
  ],
  [
    "filesizeformat",
    (v, a) => {
      const bytes = getInteger("filesizeformat", "value", v, "usize");
      const binaryArg = a.get("binary");
      const binary = binaryArg === undefined ? false : getBool("filesizeformat", "binary", binaryArg);
      let size = Number(bytes);
      let scale = 0;
      while (Math.abs(size) >= 1024 && scale < 8) {
        size /= 1024;
        scale++;
      }
      const places = size % 1 === 0 ? 0 : 2;
      return `${toFixedRust(size, places)} ${(binary ? UNITS_BINARY : UNITS_DECIMAL)[scale]}`;
    },
  ],
  [
    "length",
    (v) => {
      if (isArray(v)) return BigInt(v.length);
      if (isObject(v)) return BigInt(v.size);
      if (typeof v === "string") return BigInt(Array.from(v).length);
      throw new BuiltinError(
        "Filter `length` was used on a value that isn't an array, an object, or a string.",
      );
    },
  ],
  [
    "reverse",
    (v) => {
      if (isArray(v)) return [...v].reverse();
      if (typeof v === "string") return Array.from(v).reverse().join("");
      throw new BuiltinError(
        `Filter \`reverse\` received an incorrect type for arg \`value\`: got \`${toJson(v)}\` but expected Array|String`,
      );
    },
  ],
  ["date", (v, a) => formatDate(v, a)],
  [
    "json_encode",
    withCost({ walks: true }, (v, a) => {
      const pretty = a.get("pretty");
      return toJson(v, pretty === true);
    }),
  ],
  ["as_str", withCost({ walks: true }, (v) => renderValue(v))],
  [
    "get",
    (v, a) => {
      const keyArg = a.get("key");
      if (keyArg === undefined) throw new BuiltinError("The `get` filter has to have an `key` argument");
      const key = getString("get", "key", keyArg);
      if (!isObject(v)) throw new BuiltinError("Filter `get` was used on a value that isn't an object");
      const found = v.get(key);
      if (found !== undefined) return found;
      const fallback = a.get("default");
      if (fallback !== undefined) return fallback;
      throw new BuiltinError(`Filter \`get\` tried to get key \`${key}\` but it wasn't found`);
    },
  ],
]);
