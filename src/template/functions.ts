/**
 * Tera's built-in functions (`builtins/functions.rs`): `range`, `now`, `throw`, `get_random`,
 * `get_env`. The clock, the random source and the environment are given by the caller, and
 * `range` is bounded so that a template cannot ask for an endless list.
 */
import { type Args, BuiltinError, isUsize } from "./args.js";
import { rfc3339 } from "./date.js";
import { I64_MAX, I64_MIN, toJson, type Value } from "./values.js";

/** What functions may read from outside the template. */
export interface FunctionEnv {
  env: Readonly<Record<string, string | undefined>>;
  now: () => Date;
  random: () => number;
  /** The longest list `range` may return. */
  maxItems: number;
}

export type TeraFunction = (args: Args, env: FunctionEnv) => Value;

function usizeArg(args: Args, name: string, message: (v: Value) => string): bigint | undefined {
  const v = args.get(name);
  if (v === undefined) return undefined;
  if (!isUsize(v)) throw new BuiltinError(message(v));
  return v;
}

function boolArg(fn: string, args: Args, name: string): boolean {
  const v = args.get(name);
  if (v === undefined) return false;
  if (typeof v !== "boolean") {
    throw new BuiltinError(
      `Function \`${fn}\` received ${name}=${toJson(v)} but \`${name}\` can only be a boolean`,
    );
  }
  return v;
}

function isizeArg(args: Args, name: string): bigint | undefined {
  const v = args.get(name);
  if (v === undefined) return undefined;
  if (typeof v !== "bigint" || v < I64_MIN || v > I64_MAX) {
    throw new BuiltinError(
      `Function \`get_random\` received ${name}=${toJson(v)} but \`${name}\` can only be a number`,
    );
  }
  return v;
}

export const functions: ReadonlyMap<string, TeraFunction> = new Map<string, TeraFunction>([
  [
    "range",
    (args, { maxItems }) => {
      const start =
        usizeArg(
          args,
          "start",
          (v) => `Function \`range\` received start=${toJson(v)} but \`start\` can only be a number`,
        ) ?? 0n;
      const step =
        usizeArg(
          args,
          "step_by",
          (v) => `Function \`range\` received step_by=${toJson(v)} but \`step\` can only be a number`,
        ) ?? 1n;
      const end = usizeArg(
        args,
        "end",
        (v) => `Function \`range\` received end=${toJson(v)} but \`end\` can only be a number`,
      );
      if (end === undefined) throw new BuiltinError("Function `range` was called without a `end` argument");
      if (start > end) {
        throw new BuiltinError(
          "Function `range` was called with a `start` argument greater than the `end` one",
        );
      }
      // Tera loops forever on step_by=0; the bound below turns that into an error.
      const count =
        start === end ? 0n : step === 0n ? BigInt(maxItems) + 1n : (end - start + step - 1n) / step;
      if (count > BigInt(maxItems)) {
        throw new BuiltinError(`\`range\` would return more than ${maxItems} numbers`);
      }
      const out: Value[] = [];
      for (let i = start; i < end; i += step) out.push(i);
      return out;
    },
  ],
  [
    "now",
    (args, { now }) => {
      const utc = boolArg("now", args, "utc");
      const timestamp = boolArg("now", args, "timestamp");
      const date = now();
      if (timestamp) return BigInt(Math.floor(date.getTime() / 1000));
      return rfc3339(date, utc);
    },
  ],
  [
    "throw",
    (args) => {
      const message = args.get("message");
      if (message === undefined)
        throw new BuiltinError("Function `throw` was called without a `message` argument");
      if (typeof message !== "string") {
        throw new BuiltinError(
          `Function \`throw\` received message=${toJson(message)} but \`message\` can only be a string`,
        );
      }
      throw new BuiltinError(message);
    },
  ],
  [
    "get_random",
    (args, { random }) => {
      const start = isizeArg(args, "start") ?? 0n;
      const end = isizeArg(args, "end");
      if (end === undefined) throw new BuiltinError("Function `get_random` didn't receive an `end` argument");
      // rand's gen_range panics on an empty range; this is the error Tera never gets to show.
      if (start >= end) throw new BuiltinError("`get_random` needs `start` to be less than `end`");
      const span = end - start;
      return start + (BigInt(Math.floor(random() * Number(span))) % span);
    },
  ],
  [
    "get_env",
    (args, { env }) => {
      const name = args.get("name");
      if (name === undefined) throw new BuiltinError("Function `get_env` didn't receive a `name` argument");
      if (typeof name !== "string") {
        throw new BuiltinError(
          `Function \`get_env\` received name=${toJson(name)} but \`name\` can only be a string`,
        );
      }
      const found = Object.hasOwn(env, name) ? env[name] : undefined;
      if (typeof found === "string") return found;
      const fallback = args.get("default");
      if (fallback !== undefined) return fallback;
      throw new BuiltinError(`Environment variable \`${name}\` not found`);
    },
  ],
]);
