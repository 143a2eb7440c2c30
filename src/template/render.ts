/**
 * Renders a parsed template the way Tera's renderer (`renderer/processor.rs`) does: the same
 * lookup rules through the stack of frames (top level, macro calls, for loops), the same
 * evaluation of each kind of expression (including Tera's quirks, so that output and errors
 * match), and the same filters, tests and functions. Every error carries the position of the
 * expression that caused it. Work is bounded (loop iterations, list and output sizes, macro
 * depth, total effort): exceeding a bound is an error, never a hang. Values may share parts
 * (`{% set x = [x, x] %}`), so sizes are counted as if unshared (size.ts): a value is bounded
 * when it is made, and every walk over one (printing, serialising, comparing, a filter that reads
 * it whole) is charged at that size before it runs.
 */

import { type Args, BuiltinError, debugValue, TooLarge } from "./args.js";
import type { Call, Expr, ExprVal, Node, Path } from "./ast.js";
import { TemplateError } from "./errors.js";
import { filters } from "./filters.js";
import { type FunctionEnv, functions } from "./functions.js";
import { f64AsI64 } from "./numbers.js";
import type { Template } from "./parser.js";
import { dottedPointer } from "./pointer.js";
import { shallowCost, sizeOf, walkCost } from "./size.js";
import { tests } from "./tests.js";
import {
  asF64,
  compareStrings,
  floatDisplay,
  graphemes,
  I64_MAX,
  I64_MIN,
  isArray,
  isI64,
  isNumber,
  isObject,
  isTruthy,
  isU64,
  numberJson,
  renderValue,
  toJson,
  U64_MAX,
  type Value,
  valuesEqual,
} from "./values.js";

/** The bounds a render stays within. */
export interface Limits {
  /** Characters of output, and of any string built on the way. */
  maxOutput: number;
  /** Iterations of all for loops together. */
  maxIterations: number;
  /** Items of any list built on the way (`range`, `concat`...), and items of any value in all, nested ones included. */
  maxItems: number;
  /** Nested macro calls. */
  maxMacroDepth: number;
  /** Total effort: evaluations, iterations, the sizes of the values made, and of every walk over one. */
  maxWork: number;
  /** Errors collected before giving up. */
  maxErrors: number;
}

/** Exceeding a bound: never swallowed, never continued after. */
class LimitError extends TemplateError {}

interface Loop {
  keyName?: string;
  valueName: string;
  current: number;
  length: number;
  value(i: number): Value;
  key(i: number): string;
  state: "normal" | "break" | "continue";
}

interface Frame {
  kind: "origin" | "macro" | "for";
  vars: Map<string, Value>;
  loop?: Loop;
}

const MATH_SYMBOL = { "*": "x", "+": "+", "-": "-" } as const;

class Output {
  private readonly parts: string[] = [];
  private length = 0;
  constructor(private readonly renderer: Renderer) {}
  write(s: string): void {
    this.length += s.length;
    if (this.length > this.renderer.limits.maxOutput) this.renderer.limitExceeded("output");
    this.parts.push(s);
  }
  text(): string {
    return this.parts.join("");
  }
}

/** One render of one template. */
export class Renderer {
  private readonly frames: Frame[] = [{ kind: "origin", vars: new Map() }];
  readonly errors: TemplateError[] = [];
  private readonly seenErrors = new Set<string>();
  private captureDepth = 0;
  private macroDepth = 0;
  private iterations = 0;
  private work = 0;
  private site = 0;

  constructor(
    private readonly template: Template,
    private readonly context: ReadonlyMap<string, Value>,
    private readonly env: FunctionEnv,
    readonly limits: Limits,
  ) {}

  /** Renders the whole template; errors are in `errors` (the text is meaningless then). */
  render(): string {
    const out = new Output(this);
    try {
      this.renderBody(this.template.nodes, out);
    } catch (error) {
      if (error instanceof TemplateError) this.record(error);
      else if (error instanceof RangeError)
        this.record(new LimitError("the template nests too deeply", this.site));
      else if (!(error instanceof StopRendering)) throw error;
    }
    return out.text();
  }

  /** The work charged so far. */
  get workDone(): number {
    return this.work;
  }

  limitExceeded(
    what: "output" | "iterations" | "items" | "value-items" | "value-text" | "macros" | "work",
    pos = this.site,
  ): never {
    const mib = (this.limits.maxOutput / 1024 / 1024).toFixed(0);
    const message = {
      output: `the rendered text would be larger than ${mib} MiB`,
      iterations: `the loops would run more than ${this.limits.maxIterations} times in total`,
      items: `a list would have more than ${this.limits.maxItems} items`,
      "value-items": `a value would hold more than ${this.limits.maxItems} items in all (nested lists counted, each copy of a shared one too)`,
      "value-text": `a value would hold more than ${mib} MiB of text in all (each copy of a shared string counted)`,
      macros: `macro calls nest more than ${this.limits.maxMacroDepth} deep (endless recursion?)`,
      work: "the template takes too much work to render (a loop or filter on very large data?)",
    }[what];
    throw new LimitError(message, pos);
  }

  private record(error: TemplateError): void {
    const key = `${error.pos}:${error.message}`;
    if (this.seenErrors.has(key)) return;
    this.seenErrors.add(key);
    this.errors.push(error);
    if (this.errors.length >= this.limits.maxErrors) throw new StopRendering();
  }

  private charge(amount: number, pos = this.site): void {
    this.work += amount;
    if (this.work > this.limits.maxWork) this.limitExceeded("work", pos);
  }

  /** Checks the size of a value a filter, function or operator made, and charges for making it. */
  private checked(v: Value, pos: number): Value {
    if (typeof v === "string") {
      if (v.length > this.limits.maxOutput) this.limitExceeded("output", pos);
      this.charge(v.length >> 4, pos);
      return v;
    }
    if (isArray(v)) {
      if (v.length > this.limits.maxItems) this.limitExceeded("items", pos);
      this.charge(v.length, pos);
    } else if (isObject(v)) this.charge(v.size, pos);
    else return v;
    const { items, chars } = sizeOf(v);
    if (items > this.limits.maxItems) this.limitExceeded("value-items", pos);
    if (chars > this.limits.maxOutput) this.limitExceeded("value-text", pos);
    return v;
  }

  /** Charges a walk over `v` (printing it, serialising it...) before it is made. */
  private walked<T extends Value>(v: T, pos: number): T {
    this.charge(walkCost(v), pos);
    return v;
  }

  // -------------------------------------------------------------------------------------------
  // Nodes

  private renderBody(nodes: readonly Node[], out: Output): void {
    for (const node of nodes) {
      if (node.t === "var" && this.captureDepth === 0) {
        // A failed `{{ }}` at the top level has no effect on what follows: report it and go on,
        // so that one run shows every such mistake (Tera stops at the first).
        try {
          this.renderNode(node, out);
        } catch (error) {
          if (!(error instanceof TemplateError) || error instanceof LimitError) throw error;
          this.record(error);
        }
      } else this.renderNode(node, out);
      if (this.shouldBreakBody()) break;
    }
  }

  private renderNode(node: Node, out: Output): void {
    this.charge(1);
    switch (node.t) {
      case "text":
      case "raw":
        out.write(node.text);
        return;
      case "comment":
      case "macro":
        return;
      case "var":
        this.site = node.expr.pos;
        out.write(renderValue(this.walked(this.evalExpression(node.expr), node.expr.pos)));
        return;
      case "set": {
        this.site = node.pos;
        const value = this.evalExpression(node.value);
        this.frameForSet(node.global).vars.set(node.key, value);
        return;
      }
      case "filter": {
        this.site = node.call.pos;
        const body = this.capture(() => {
          const inner = new Output(this);
          this.renderBody(node.body, inner);
          return inner.text();
        });
        out.write(
          node.call.name === "safe"
            ? body
            : renderValue(this.walked(this.evalFilter(body, node.call), node.call.pos)),
        );
        return;
      }
      case "if":
        for (const condition of node.conditions) {
          this.site = condition.expr.pos;
          if (this.evalAsBool(condition.expr)) {
            this.renderBody(condition.body, out);
            return;
          }
        }
        if (node.otherwise) this.renderBody(node.otherwise.body, out);
        return;
      case "for":
        this.site = node.pos;
        this.renderFor(node, out);
        return;
      case "break":
      case "continue": {
        const loop = this.frames.at(-1)!.loop;
        if (!loop) {
          throw new TemplateError(`Attempted \`${node.t}\` while not in \`for loop\``, node.pos);
        }
        loop.state = node.t;
        return;
      }
      case "block":
        this.renderBody(node.body, out);
        return;
      case "super":
        throw new TemplateError("Tried to use super() in the top level block", node.pos);
      case "include":
        if (node.ignoreMissing) return;
        throw new TemplateError(
          `Template '[${node.names.join(", ")}]' not found: \`include\` needs other template files; only this one file is rendered`,
          node.pos,
        );
      case "extends":
      case "import":
        throw new TemplateError(`\`${node.t}\` needs another template file`, node.pos);
    }
  }

  private shouldBreakBody(): boolean {
    const loop = this.frames.at(-1)!.loop;
    return loop !== undefined && loop.state !== "normal";
  }

  private frameForSet(global: boolean): Frame {
    const top = this.frames.at(-1)!;
    if (!global || top.kind !== "for") return top;
    return this.frames.findLast((f) => f.kind !== "for")!;
  }

  private capture<T>(f: () => T): T {
    this.captureDepth++;
    try {
      return f();
    } finally {
      this.captureDepth--;
    }
  }

  private renderFor(node: Extract<Node, { t: "for" }>, out: Output): void {
    const c = node.container.val;
    const name =
      c.t === "ident"
        ? c.path.text
        : c.t === "call"
          ? c.call.name
          : c.t === "array"
            ? "an array literal"
            : undefined;
    if (name === undefined) {
      throw new TemplateError(
        "Forloop containers have to be an ident or a function call",
        node.container.pos,
      );
    }
    const container = this.evalExpression(node.container);
    const notAnObject = () =>
      new TemplateError(
        `Tried to iterate using key value on variable \`${name}\`, but it isn't an object/map`,
        node.container.pos,
      );
    // Looping over a string splits it, over an object lists its entries: once, before the first turn.
    if (!isArray(container)) this.charge(shallowCost(container), node.container.pos);
    let loop: Loop;
    const base = { keyName: node.key, valueName: node.value, current: 0, state: "normal" as const };
    const noKey = () => "";
    if (isArray(container)) {
      if (node.key !== undefined) throw notAnObject();
      loop = { ...base, length: container.length, value: (i) => container[i]!, key: noKey };
    } else if (typeof container === "string") {
      if (node.key !== undefined) throw notAnObject();
      // As Tera: as many rounds as characters, each giving the next grapheme cluster.
      const clusters = graphemes(container);
      loop = {
        ...base,
        length: Array.from(container).length,
        value: (i) => {
          const cluster = clusters[i];
          if (cluster === undefined) {
            throw new TemplateError(
              `Tera cannot loop over \`${name}\`: it has fewer grapheme clusters than characters (Tera crashes here)`,
              node.container.pos,
            );
          }
          return cluster;
        },
        key: noKey,
      };
    } else if (isObject(container)) {
      if (node.key === undefined) {
        throw new TemplateError(
          `Tried to iterate using key value on variable \`${name}\`, but it is missing a key`,
          node.container.pos,
        );
      }
      const entries = [...container];
      loop = { ...base, length: entries.length, value: (i) => entries[i]![1], key: (i) => entries[i]![0] };
    } else {
      throw new TemplateError(
        `Tried to iterate on a container (\`${name}\`) that has a unsupported type`,
        node.container.pos,
      );
    }

    if (loop.length === 0) {
      if (node.emptyBody) this.renderBody(node.emptyBody, out);
      return;
    }
    const frame: Frame = { kind: "for", vars: new Map(), loop };
    this.frames.push(frame);
    try {
      for (let i = 0; i < loop.length; i++) {
        if (++this.iterations > this.limits.maxIterations) this.limitExceeded("iterations", node.pos);
        loop.current = i;
        this.renderBody(node.body, out);
        if (loop.state === "break") break;
        frame.vars.clear();
        loop.state = "normal";
      }
    } finally {
      this.frames.pop();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Variables

  /** Tera's `lookup_ident`: `a.b` as written, or with `[...]` evaluated into a dotted key. */
  private lookup(path: Path): Value {
    if (path.text === "__tera_context") {
      const dump = this.walked(this.checked(this.contextDump(), path.pos), path.pos);
      return toJson(dump, true);
    }
    if (!path.text.includes("[")) {
      const found = this.lookupKey(path.text);
      if (found === undefined)
        throw new TemplateError(`Variable \`${path.text}\` not found in context`, path.pos);
      return found;
    }
    const key = this.evaluatedKey(path);
    const found = this.lookupKey(key);
    if (found === undefined) {
      throw new TemplateError(
        `Variable \`${path.text}\` not found in context: the evaluated version was \`${key}\`. Maybe the index is out of bounds?`,
        path.pos,
      );
    }
    return found;
  }

  /**
   * Tera's `evaluate_sub_variables`: each `[variable]` is replaced by its value (`."text"` or
   * `.42`), then brackets become dots, giving the key `lookupKey` walks.
   */
  private evaluatedKey(path: Path): string {
    let key = path.text;
    for (const segment of path.segments) {
      if (segment.k !== "var") continue;
      let value: Value;
      try {
        value = this.lookup(segment.path);
      } catch (error) {
        if (!(error instanceof TemplateError) || error instanceof LimitError) throw error;
        throw new TemplateError(
          `Variable \`${path.text}\` can not be evaluated because: ${error.message}`,
          segment.path.pos,
        );
      }
      let text: string;
      if (typeof value === "string") text = `"${value}"`;
      else if (isNumber(value)) text = numberJson(value);
      else {
        throw new TemplateError(
          `Only variables evaluating to String or Number can be used as index (\`${segment.text}\` of \`${path.text}\`)`,
          segment.path.pos,
        );
      }
      const bracketed = `[${segment.text}]`;
      const at = key.indexOf(bracketed);
      if (at !== -1) key = `${key.slice(0, at)}.${text}${key.slice(at + bracketed.length)}`;
    }
    return key
      .replaceAll("/", "~1")
      .replaceAll("['", '."')
      .replaceAll('["', '."')
      .replaceAll("[", ".")
      .replaceAll("']", '"')
      .replaceAll('"]', '"')
      .replaceAll("]", "");
  }

  /** Tera's `CallStack::lookup`: frames from the innermost out (a macro sees no outer frame), then the context. */
  private lookupKey(key: string): Value | undefined {
    const dot = key.indexOf(".");
    const root = dot === -1 ? key : key.slice(0, dot);
    const tail = dot === -1 ? "" : key.slice(dot + 1);
    try {
      for (let i = this.frames.length - 1; i >= 0; i--) {
        const frame = this.frames[i]!;
        const own = frame.vars.get(root);
        if (own !== undefined) {
          const found = dot === -1 ? own : dottedPointer(own, tail);
          if (found !== undefined) return found;
        }
        const loop = frame.loop;
        if (loop) {
          if (loop.keyName === key) return loop.key(loop.current);
          if (root === "loop") {
            if (tail === "index") return BigInt(loop.current + 1);
            if (tail === "index0") return BigInt(loop.current);
            if (tail === "first") return loop.current === 0;
            if (tail === "last") return loop.current === loop.length - 1;
          } else if (root === loop.valueName) {
            const found =
              dot === -1 ? loop.value(loop.current) : dottedPointer(loop.value(loop.current), tail);
            if (found !== undefined) return found;
          }
        }
        if (frame.kind !== "for") break;
      }
      const global = this.context.get(root.replaceAll("~1", "/").replaceAll("~0", "~"));
      if (global === undefined) return undefined;
      return dot === -1 ? global : dottedPointer(global, tail);
    } catch (error) {
      if (error instanceof BuiltinError) throw new TemplateError(error.message, this.site);
      throw error;
    }
  }

  /** What `{{ __tera_context }}` shows: the variables visible here. */
  private contextDump(): Value {
    const visible = new Map<string, Value>();
    let inMacro = false;
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const frame = this.frames[i]!;
      for (const [k, v] of frame.vars) visible.set(k, v);
      if (frame.loop) {
        visible.set(frame.loop.valueName, frame.loop.value(frame.loop.current));
        if (frame.loop.keyName !== undefined)
          visible.set(frame.loop.keyName, frame.loop.key(frame.loop.current));
      }
      if (frame.kind === "macro") {
        inMacro = true;
        break;
      }
    }
    const all = inMacro ? visible : new Map([...this.context, ...visible]);
    return new Map([...all].sort(([a], [b]) => compareStrings(a, b)));
  }

  // -------------------------------------------------------------------------------------------
  // Expressions

  /** Tera's `eval_expression`. */
  private evalExpression(expr: Expr): Value {
    this.charge(1);
    const v = expr.val;
    let res: Value;
    switch (v.t) {
      case "array":
        res = this.checked(
          v.items.map((item) => this.evalExpression(item)),
          expr.pos,
        );
        break;
      case "in":
        res = this.evalIn(v);
        break;
      case "string":
      case "int":
      case "float":
      case "bool":
        res = v.v;
        break;
      case "concat":
        res = this.evalConcat(v, expr.pos);
        break;
      case "ident": {
        // A missing variable is fine when `default` comes first, and truthy under `not`.
        const hasDefault = expr.filters[0]?.name === "default";
        let found: Value | undefined;
        try {
          found = this.lookup(v.path);
        } catch (error) {
          if (!(error instanceof TemplateError) || error instanceof LimitError) throw error;
          if (hasDefault) found = this.defaultValue(expr);
          else if (expr.negated) return true;
          else throw error;
        }
        res = found === null && hasDefault ? this.defaultValue(expr) : found;
        break;
      }
      case "call":
        res = this.evalCall(v.call);
        break;
      case "macro":
        res = this.callMacro(v);
        break;
      case "test":
        res = this.evalTest(v);
        break;
      case "logic":
        res = this.evalAsBool(expr);
        break;
      case "math": {
        const n = this.evalAsNumber(v);
        res = n === null ? "NaN" : n;
        break;
      }
    }
    for (const filter of expr.filters) {
      if (filter.name === "safe" || filter.name === "default") continue;
      res = this.evalFilter(res, filter);
    }
    // As Tera: a negated expression becomes a boolean (a `not` on a comparison applies twice).
    return expr.negated ? !isTruthy(res) : res;
  }

  private defaultValue(expr: Expr): Value {
    const value = expr.filters[0]!.args.get("value");
    if (!value)
      throw new TemplateError("The `default` filter requires a `value` argument.", expr.filters[0]!.pos);
    return this.evalExpression(value);
  }

  private evalConcat(v: Extract<ExprVal, { t: "concat" }>, pos: number): Value {
    let res = "";
    for (const part of v.parts) {
      if (part.t === "string") res += part.v;
      else if (part.t === "int") res += part.v.toString();
      else if (part.t === "float") res += floatDisplay(part.v);
      else if (part.t === "ident" || part.t === "call") {
        const value = part.t === "ident" ? this.lookup(part.path) : this.evalCall(part.call);
        if (typeof value === "string") res += value;
        else if (isNumber(value)) res += numberJson(value);
        else {
          throw new TemplateError(
            part.t === "ident"
              ? `Tried to concat a value that is not a string or a number from ident ${part.path.text}`
              : `Tried to concat a value that is not a string or a number from function call ${part.call.name}`,
            part.t === "ident" ? part.path.pos : part.call.pos,
          );
        }
      }
      if (res.length > this.limits.maxOutput) this.limitExceeded("output", pos);
    }
    return this.checked(res, pos);
  }

  private evalIn(v: Extract<ExprVal, { t: "in" }>): boolean {
    const lhs = this.evalExpression(v.lhs);
    const rhs = this.evalExpression(v.rhs);
    let present: boolean;
    // Comparing lhs with every item walks at most the whole list.
    if (isArray(rhs)) present = this.walked(rhs, v.rhs.pos).some((item) => valuesEqual(item, lhs));
    else if (typeof rhs === "string" || isObject(rhs)) {
      if (typeof lhs !== "string") {
        this.walked(lhs, v.lhs.pos);
        throw new TemplateError(
          `Tried to check if ${debugValue(lhs)} is in a ${typeof rhs === "string" ? "string" : "object"}, but it isn't a string`,
          v.lhs.pos,
        );
      }
      this.charge(shallowCost(lhs) + (typeof rhs === "string" ? shallowCost(rhs) : 0), v.rhs.pos);
      present = typeof rhs === "string" ? rhs.includes(lhs) : rhs.has(lhs);
    } else {
      throw new TemplateError("The `in` operator only supports strings, arrays and objects.", v.rhs.pos);
    }
    return v.negated ? !present : present;
  }

  private evalTest(v: Extract<ExprVal, { t: "test" }>): boolean {
    const test = tests.get(v.name);
    if (!test) throw new TemplateError(`Test '${v.name}' not found`, v.pos);
    const args = v.args.map((arg) => this.evalExpression(arg));
    let found: Value | undefined;
    try {
      found = this.lookup(v.path);
    } catch (error) {
      if (!(error instanceof TemplateError) || error instanceof LimitError) throw error;
    }
    // Tests compare or match their value whole (`containing`, `matching`).
    for (const arg of args) this.walked(arg, v.pos);
    this.walked(found ?? null, v.pos);
    const result = this.builtin(v.pos, () => test(found, args));
    return v.negated ? !result : result;
  }

  private evalArgs(call: Call): Args {
    const args = new Map<string, Value>();
    for (const [name, value] of call.args) args.set(name, this.evalExpression(value));
    return args;
  }

  /**
   * Runs a filter, test or function. Its error message may show its `inputs` whole: that walk is
   * charged once the message is made, so that a loop of failing calls still runs out of budget.
   * `inputs` is only called then, so that a call that succeeds gathers nothing.
   */
  private builtin<T>(pos: number, f: () => T, inputs?: () => Iterable<Value>): T {
    try {
      return f();
    } catch (error) {
      if (error instanceof TooLarge) this.limitExceeded("output", pos);
      if (!(error instanceof BuiltinError)) throw error;
      for (const input of inputs?.() ?? []) this.walked(input, pos);
      throw new TemplateError(error.message, pos);
    }
  }

  private evalCall(call: Call): Value {
    const fn = functions.get(call.name);
    if (!fn) throw new TemplateError(`Function '${call.name}' not found`, call.pos);
    const args = this.evalArgs(call);
    for (const arg of args.values()) this.charge(shallowCost(arg), call.pos);
    return this.checked(
      this.builtin(
        call.pos,
        () => fn(args, this.env),
        () => args.values(),
      ),
      call.pos,
    );
  }

  private evalFilter(value: Value, call: Call): Value {
    const filter = filters.get(call.name);
    if (!filter) throw new TemplateError(`Filter '${call.name}' not found`, call.pos);
    const args = this.evalArgs(call);
    // Charged before running, as the filter declares (filters.ts): the input (whole for the filters
    // that walk it, else its top level), times log n for the filters that sort, plus a lookup of
    // `attribute` in every item.
    const cost = filter.cost;
    const length = isArray(value) ? value.length : 1;
    const size = cost?.walks ? walkCost(value) : shallowCost(value);
    this.charge(cost?.sorts ? size * Math.ceil(Math.log2(length + 1)) : size, call.pos);
    for (const [name, arg] of args) {
      const perItem = name === "attribute" && cost?.attributePerItem === true;
      this.charge(perItem ? length * shallowCost(arg) : shallowCost(arg), call.pos);
    }
    return this.checked(
      this.builtin(
        call.pos,
        () => filter(value, args, this.limits.maxOutput),
        () => [value, ...args.values()],
      ),
      call.pos,
    );
  }

  private callMacro(v: Extract<ExprVal, { t: "macro" }>): string {
    if (v.namespace !== "self" || this.template.macros.size === 0) {
      throw new TemplateError(
        `Macro namespace \`${v.namespace}\` was not found in template \`main\`. Have you maybe forgotten to import it, or misspelled it?`,
        v.pos,
      );
    }
    const def = this.template.macros.get(v.name);
    if (!def)
      throw new TemplateError(`Macro \`${v.namespace}::${v.name}\` not found in template \`main\``, v.pos);
    const vars = new Map<string, Value>();
    for (const [arg, fallback] of def.args) {
      const given = v.args.get(arg) ?? fallback;
      if (!given) throw new TemplateError(`Macro \`${v.name}\` is missing the argument \`${arg}\``, v.pos);
      vars.set(arg, this.evalExpression(given));
    }
    if (this.macroDepth >= this.limits.maxMacroDepth) this.limitExceeded("macros", v.pos);
    this.frames.push({ kind: "macro", vars });
    this.macroDepth++;
    try {
      return this.capture(() => {
        const out = new Output(this);
        this.renderBody(def.body, out);
        return out.text();
      });
    } finally {
      this.macroDepth--;
      this.frames.pop();
    }
  }

  /** Tera's `eval_as_bool`: conditions, `and`/`or`, comparisons. */
  private evalAsBool(expr: Expr): boolean {
    const v = expr.val;
    let res: boolean;
    switch (v.t) {
      case "logic":
        res = this.evalLogic(v);
        break;
      case "ident": {
        // As Tera: any error here (a missing variable, a failing filter) counts as false.
        try {
          res = isTruthy(this.evalExpression(expr));
        } catch (error) {
          if (!(error instanceof TemplateError) || error instanceof LimitError) throw error;
          res = false;
        }
        if (expr.negated) res = !res;
        break;
      }
      case "math":
      case "int":
      case "float": {
        const n = this.evalAsNumber(v);
        res = n !== null && asF64(n) !== 0;
        break;
      }
      case "in":
        res = this.evalIn(v);
        break;
      case "test":
        res = this.evalTest(v);
        break;
      case "bool":
        res = v.v;
        break;
      case "string":
        res = v.v !== "";
        break;
      case "call": {
        const r = this.evalCall(v.call);
        if (typeof r !== "boolean") {
          throw new TemplateError(
            `Function \`${v.call.name}\` was used in a logic operation but is not returning a bool`,
            v.call.pos,
          );
        }
        res = r;
        break;
      }
      case "concat":
        res = isTruthy(this.evalExpression(expr));
        break;
      case "macro":
        res = this.callMacro(v) !== "";
        break;
      case "array":
        throw new TemplateError("an array cannot be used as a condition", expr.pos);
    }
    return expr.negated ? !res : res;
  }

  private evalLogic(v: Extract<ExprVal, { t: "logic" }>): boolean {
    switch (v.op) {
      case "or":
        return this.evalAsBool(v.lhs) || this.evalAsBool(v.rhs);
      case "and":
        return this.evalAsBool(v.lhs) && this.evalAsBool(v.rhs);
      case "<":
      case "<=":
      case ">":
      case ">=": {
        const l = this.evalExprAsNumber(v.lhs);
        const r = this.evalExprAsNumber(v.rhs);
        if (l === null || r === null) throw new TemplateError("Comparison to NaN", v.pos);
        const [a, b] = [asF64(l), asF64(r)];
        return v.op === "<" ? a < b : v.op === "<=" ? a <= b : v.op === ">" ? a > b : a >= b;
      }
      case "==":
      case "!=": {
        const l = this.evalExpression(v.lhs);
        const r = this.evalExpression(v.rhs);
        if (isNumber(l) || isNumber(r)) {
          // As Tera: a number never equals a non-number, and `!=` is then false too.
          if (!isNumber(l) || !isNumber(r)) return false;
          const equal = asF64(l) === asF64(r);
          return v.op === "==" ? equal : !equal;
        }
        // Comparing stops at the end of the smaller one.
        this.charge(Math.min(walkCost(l), walkCost(r)), v.pos);
        const equal = valuesEqual(l, r);
        return v.op === "==" ? equal : !equal;
      }
    }
  }

  private evalExprAsNumber(expr: Expr): bigint | number | null {
    if (expr.filters.length === 0) return this.evalAsNumber(expr.val);
    const v = this.evalExpression(expr);
    if (!isNumber(v)) {
      throw new TemplateError("Tried to do math with an expression not resulting in a number", expr.pos);
    }
    return v;
  }

  /** Tera's `eval_as_number`; null stands for NaN. */
  private evalAsNumber(v: ExprVal): bigint | number | null {
    switch (v.t) {
      case "ident": {
        const value = this.lookup(v.path);
        if (!isNumber(value)) {
          throw new TemplateError(
            `Variable \`${v.path.text}\` was used in a math operation but is not a number`,
            v.path.pos,
          );
        }
        return value;
      }
      case "int":
      case "float":
        return v.v;
      case "math": {
        const l = this.evalExprAsNumber(v.lhs);
        const r = this.evalExprAsNumber(v.rhs);
        if (l === null || r === null) return null;
        return this.math(v.op, l, r, v.pos);
      }
      case "call": {
        const value = this.evalCall(v.call);
        if (!isNumber(value)) {
          throw new TemplateError(
            `Function \`${v.call.name}\` was used in a math operation but is not returning a number`,
            v.call.pos,
          );
        }
        return value;
      }
      case "string":
        throw new TemplateError(`Tried to do math with a string: \`${v.v}\``, this.site);
      case "bool":
        throw new TemplateError(`Tried to do math with a boolean: \`${v.v}\``, this.site);
      case "concat":
        throw new TemplateError("Tried to do math with a string concatenation", this.site);
      case "test":
        throw new TemplateError(`Tried to do math with a test: ${v.name}`, v.pos);
      default:
        // Tera crashes (`unreachable!`) on a macro call or an array in maths.
        throw new TemplateError("this value cannot be used in maths", "pos" in v ? v.pos : this.site);
    }
  }

  private math(
    op: Extract<ExprVal, { t: "math" }>["op"],
    l: bigint | number,
    r: bigint | number,
    pos: number,
  ) {
    if (op === "/") {
      const f = asF64(l) / asF64(r);
      if (Number.isNaN(f) || !Number.isFinite(f)) return null;
      return Math.round(f) === f ? f64AsI64(f) : f;
    }
    if (op === "%") {
      if (
        typeof l === "bigint" &&
        typeof r === "bigint" &&
        ((isI64(l) && isI64(r)) || (isU64(l) && isU64(r)))
      ) {
        if (r === 0n) throw new TemplateError("Tried to do a modulo by zero", pos);
        return l % r;
      }
      const f = asF64(l) % asF64(r);
      return Number.isNaN(f) ? null : f;
    }
    const exact = (a: bigint, b: bigint) => (op === "+" ? a + b : op === "-" ? a - b : a * b);
    const outOfBounds = (kind: string) =>
      new TemplateError(`${l} ${MATH_SYMBOL[op]} ${r} results in an out of bounds ${kind}`, pos);
    if (isI64(l) && isI64(r)) {
      const res = exact(l, r);
      if (res < I64_MIN || res > I64_MAX) throw outOfBounds("i64");
      return res;
    }
    if (isU64(l) && isU64(r)) {
      const res = exact(l, r);
      if (res < 0n || res > U64_MAX) throw outOfBounds("u64");
      return res;
    }
    const [a, b] = [asF64(l), asF64(r)];
    const f = op === "+" ? a + b : op === "-" ? a - b : a * b;
    if (Number.isFinite(f)) return f;
    if (op === "*") return null;
    throw outOfBounds("f64");
  }
}

/** Thrown to stop after too many errors. */
class StopRendering extends Error {}
