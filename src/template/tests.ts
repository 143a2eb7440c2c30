/**
 * Tera's built-in tests (`builtins/testers.rs`): `x is name(args)`. The value is `undefined` when
 * the variable does not exist, which only `defined` and `undefined` accept. `matching` compiles
 * its pattern with Rust's regex crate (rregex), so the syntax is Rust's and matching is linear.
 */
import { newRustRegex, type RustRegex } from "../core/regex-engine.js";
import { BuiltinError } from "./args.js";
import { asF64, isArray, isNumber, isObject, type Value, valuesEqual } from "./values.js";

export type Test = (value: Value | undefined, args: readonly Value[]) => boolean;

function maxArgs(name: string, max: number, args: readonly Value[]): void {
  if (max === 0 && args.length > 0) {
    throw new BuiltinError(`Tester \`${name}\` was called with some args but this test doesn't take args`);
  }
  if (args.length > max) {
    throw new BuiltinError(
      `Tester \`${name}\` was called with ${args.length} args, the max number is ${max}`,
    );
  }
}

function defined(name: string, value: Value | undefined): asserts value is Value {
  if (value === undefined) throw new BuiltinError(`Tester \`${name}\` was called on an undefined variable`);
}

function stringOf(name: string, what: string, v: Value | undefined): string {
  if (typeof v === "string") return v;
  throw new BuiltinError(`Tester \`${name}\` was called ${what} that isn't a string`);
}

/** A test taking `max` arguments and a defined value. */
function tester(name: string, max: number, f: (value: Value, args: readonly Value[]) => boolean): Test {
  return (value, args) => {
    maxArgs(name, max, args);
    defined(name, value);
    return f(value, args);
  };
}

function isOdd(value: Value): boolean {
  if (!isNumber(value)) throw new BuiltinError("Tester `odd` was called on a variable that isn't a number");
  return asF64(value) % 2 !== 0;
}

function rustRegex(pattern: string): RustRegex {
  try {
    return newRustRegex(pattern);
  } catch (error) {
    throw new BuiltinError(
      `Tester \`matching\`: Invalid regular expression: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

export const tests: ReadonlyMap<string, Test> = new Map<string, Test>([
  [
    "defined",
    (value, args) => {
      maxArgs("defined", 0, args);
      return value !== undefined;
    },
  ],
  [
    "undefined",
    (value, args) => {
      maxArgs("undefined", 0, args);
      return value === undefined;
    },
  ],
  ["string", tester("string", 0, (v) => typeof v === "string")],
  ["number", tester("number", 0, (v) => isNumber(v))],
  ["odd", tester("odd", 0, (v) => isOdd(v))],
  ["even", tester("even", 0, (v) => !isOdd(v))],
  [
    "divisibleby",
    tester("divisibleby", 1, (v, [p]) => {
      if (!isNumber(v))
        throw new BuiltinError("Tester `divisibleby` was called on a variable that isn't a number");
      if (p === undefined || !isNumber(p)) {
        throw new BuiltinError("Tester `divisibleby` was called with a parameter that isn't a number");
      }
      return asF64(v) % asF64(p) === 0;
    }),
  ],
  ["iterable", tester("iterable", 0, (v) => isArray(v) || isObject(v))],
  ["object", tester("object", 0, (v) => isObject(v))],
  [
    "starting_with",
    tester("starting_with", 1, (v, [p]) =>
      stringOf("starting_with", "on a variable", v).startsWith(
        stringOf("starting_with", "with a parameter", p),
      ),
    ),
  ],
  [
    "ending_with",
    tester("ending_with", 1, (v, [p]) =>
      stringOf("ending_with", "on a variable", v).endsWith(stringOf("ending_with", "with a parameter", p)),
    ),
  ],
  [
    "containing",
    tester("containing", 1, (v, [p]) => {
      if (typeof v === "string") return v.includes(stringOf("containing", "with a parameter", p));
      if (isArray(v)) {
        if (p === undefined) throw new BuiltinError("Tester `containing` needs a parameter");
        return v.some((item) => valuesEqual(item, p));
      }
      if (isObject(v)) return v.has(stringOf("containing", "with a parameter", p));
      throw new BuiltinError("Tester `containing` can only be used on string, array or map");
    }),
  ],
  [
    "matching",
    tester("matching", 1, (v, [p]) => {
      const text = stringOf("matching", "on a variable", v);
      const regex = rustRegex(stringOf("matching", "with a parameter", p));
      try {
        return regex.isMatch(text);
      } finally {
        regex.free();
      }
    }),
  ],
]);
