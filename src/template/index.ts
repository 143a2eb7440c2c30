/**
 * A Tera template engine (the language of Rust's `tera` crate 1.20, which upstream `mirrord up`
 * renders mirrord-up.yaml with), for one self-contained template.
 *
 * Safe by construction: a template only ever reaches plain data made here (Maps, arrays,
 * strings, numbers); names in a template are looked up as own keys of that data, never as
 * JavaScript properties, nothing found in data is ever called, and nothing is evaluated as code.
 * The work a template can ask for is bounded (see `Limits`); past a bound it gets an error.
 */
import { lineCol, TemplateError } from "./errors.js";
import { filters } from "./filters.js";
import { functions } from "./functions.js";
import { parseTemplate } from "./parser.js";
import { type Limits, Renderer } from "./render.js";
import { tests } from "./tests.js";
import { fromJs, type Value } from "./values.js";

/**
 * Plain JSON data. A JS number is an integer for Tera when its JSON text has no fraction or
 * exponent and fits i64/u64 (so `2.0` is the integer 2, as JS cannot tell them apart), else a
 * float.
 */
export type TeraValue = null | boolean | number | string | TeraValue[] | { [k: string]: TeraValue };

/** A problem in the template, at a 1-based line and column (columns count characters). */
export interface TeraError {
  message: string;
  line: number;
  col: number;
}

export type TeraResult = { ok: true; text: string } | { ok: false; errors: TeraError[] };

export interface TeraOptions {
  /** What `get_env` reads; default: nothing. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The clock of `now()`; default: the real one. */
  now?: () => Date;
  /** The random source of `get_random`, in [0, 1); default: Math.random. */
  random?: () => number;
  /** Other bounds than `TERA_LIMITS` (for tests). */
  limits?: Partial<Limits>;
  /** Filled in after the render: the work it was charged (see `Limits.maxWork`). */
  stats?: { work: number };
}

/**
 * The bounds every render stays within (Tera has none of them). A value is counted as if nothing
 * in it were shared, so that `{% set x = [x, x] %}` in a loop reaches a bound in ~20 turns.
 */
const TERA_LIMITS: Readonly<Limits> = {
  maxOutput: 8 * 1024 * 1024,
  maxIterations: 1_000_000,
  maxItems: 1_000_000,
  maxMacroDepth: 200,
  maxWork: 10_000_000,
  maxErrors: 20,
};

/**
 * Renders `source` with `context`, as Tera's `Tera::default()` with the template added as
 * "main" (no HTML escaping). Errors are collected where continuing is sound (each failing
 * `{{ }}` at the top level); there is always at least one when `ok` is false.
 */
export function renderTera(
  source: string,
  context: Record<string, TeraValue>,
  options: TeraOptions = {},
): TeraResult {
  const located = (error: TemplateError): TeraError => ({
    message: error.message,
    ...lineCol(source, error.pos),
  });
  let template: ReturnType<typeof parseTemplate>;
  try {
    template = parseTemplate(source);
  } catch (error) {
    if (error instanceof TemplateError) return { ok: false, errors: [located(error)] };
    throw error;
  }
  const data = fromJs(context);
  const limits = { ...TERA_LIMITS, ...options.limits };
  const renderer = new Renderer(
    template,
    data instanceof Map ? data : new Map<string, Value>(),
    {
      env: options.env ?? {},
      now: options.now ?? (() => new Date()),
      random: options.random ?? Math.random,
      maxItems: limits.maxItems,
    },
    limits,
  );
  const text = renderer.render();
  if (options.stats) options.stats.work = renderer.workDone;
  if (renderer.errors.length > 0) return { ok: false, errors: renderer.errors.map(located) };
  return { ok: true, text };
}

/** The names of the built-in filters, tests and functions (for "did you mean" hints). */
export const TERA_BUILTINS: Readonly<Record<"filters" | "tests" | "functions", readonly string[]>> = {
  filters: [...filters.keys(), "default", "safe"].sort(),
  tests: [...tests.keys()].sort(),
  functions: [...functions.keys()].sort(),
};
