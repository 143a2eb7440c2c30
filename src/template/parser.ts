/**
 * Turns the source into Tera's AST: the pest-compatible parse (grammar.ts, peg.ts), then the
 * same tree building as Tera's `parser/mod.rs` (including its quirks, such as `not` applying to
 * the whole comparison), then Tera's whitespace control (whitespace.ts).
 */
import type {
  Call,
  Expr,
  ExprVal,
  LogicOp,
  MacroDefinition,
  MathOp,
  Node,
  Path,
  PathSegment,
  WS,
} from "./ast.js";
import { TemplateError } from "./errors.js";
import { grammar, ruleDescriptions } from "./grammar.js";
import { type Pair, pegParse } from "./peg.js";
import { removeWhitespace } from "./whitespace.js";

/** The parsed template: its nodes and the macros it defines. */
export interface Template {
  nodes: Node[];
  macros: Map<string, MacroDefinition>;
}

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const RULE_ORDER = new Map(Object.keys(grammar).map((name, i) => [name, i]));

/** Parses `source`, or throws a located TemplateError. */
export function parseTemplate(source: string): Template {
  const parsed = pegParse(grammar, "template", source);
  if (!("rule" in parsed)) throw new TemplateError(syntaxMessage(parsed), parsed.pos);
  const nodes: Node[] = [];
  for (const p of parsed.children) {
    if (p.rule === "content") nodes.push(...nodesOf([p], source));
    else if (p.rule === "macro_definition") nodes.push(macroDefinition(p, source));
    else if (p.rule === "extends_tag") {
      nodes.push({ t: "extends", ws: tagWs(p, source), name: stringOf(p, source), pos: p.start });
    } else if (p.rule === "import_macro_tag") {
      const namespace = p.children.find((c) => c.rule === "ident")!;
      nodes.push({
        t: "import",
        ws: tagWs(p, source),
        name: stringOf(p, source),
        namespace: text(namespace, source),
        pos: p.start,
      });
    }
  }
  return checkTemplate(removeWhitespace(nodes, undefined));
}

/** The nodes of `*_content` pairs (each wraps exactly one tag or text). */
function nodesOf(pairs: Pair[], source: string): Node[] {
  return pairs.flatMap((c) => c.children.map((item) => contentItem(item, source)));
}

function syntaxMessage(failure: { expected: string[]; unexpected: string[]; bound?: string }): string {
  if (failure.bound) return failure.bound;
  const describe = (rules: string[]) =>
    listOr([
      ...new Set(
        [...rules]
          .sort((a, b) => (RULE_ORDER.get(a) ?? 0) - (RULE_ORDER.get(b) ?? 0))
          .map((rule) => ruleDescriptions[rule] ?? rule),
      ),
    ]);
  const expected = failure.expected.length ? `expected ${describe(failure.expected)}` : "";
  const unexpected = failure.unexpected.length ? `unexpected ${describe(failure.unexpected)}` : "";
  return [unexpected, expected].filter(Boolean).join("; ") || "syntax error";
}

function listOr(items: string[]): string {
  if (items.length <= 2) return items.join(" or ");
  return `${items.slice(0, -1).join(", ")}, or ${items.at(-1)}`;
}

/** Tera's template-level checks (`Template::new`, and the single-template cases of `Tera::add_raw_template`). */
function checkTemplate(nodes: Node[]): Template {
  const blocks = new Set<string>();
  const findBlocks = (list: Node[]) => {
    for (const node of list) {
      if (node.t !== "block") continue;
      if (blocks.has(node.name)) throw new TemplateError(`Block \`${node.name}\` is duplicated`, node.pos);
      blocks.add(node.name);
      findBlocks(node.body);
    }
  };
  findBlocks(nodes);
  const macros = new Map<string, MacroDefinition>();
  for (const node of nodes) {
    if (node.t === "macro") {
      if (macros.has(node.def.name)) {
        throw new TemplateError(`Macro \`${node.def.name}\` is duplicated`, node.def.pos);
      }
      macros.set(node.def.name, node.def);
    }
  }
  for (const node of nodes) {
    if (node.t === "extends") {
      throw new TemplateError(
        `\`extends "${node.name}"\` needs another template file; only this one file is rendered`,
        node.pos,
      );
    }
    if (node.t === "import") {
      throw new TemplateError(
        `\`import "${node.name}"\` needs another template file; only this one file is rendered (define the macros in this file and call them as \`self::name()\`)`,
        node.pos,
      );
    }
  }
  return { nodes, macros };
}

const text = (p: Pair, source: string) => source.slice(p.start, p.end);
const child = (p: Pair, rule: string) => p.children.find((c) => c.rule === rule);
const unquote = (s: string) => s.slice(1, -1);

function stringOf(p: Pair, source: string): string {
  return unquote(text(child(p, "string")!, source));
}

/** The whitespace flags of a tag from its `{%-` / `-%}` (or `{{-`, `{#-`) delimiters. */
function tagWs(p: Pair, source: string): WS {
  const ws = { left: false, right: false };
  for (const c of p.children) {
    const t = text(c, source);
    if (c.rule === "tag_start" || c.rule === "variable_start" || c.rule === "comment_start")
      ws.left = t.endsWith("-");
    if (c.rule === "tag_end" || c.rule === "variable_end" || c.rule === "comment_end")
      ws.right = t.startsWith("-");
  }
  return ws;
}

function contentItem(p: Pair, source: string): Node {
  const body = (pairs: Pair[]) => nodesOf(pairs, source);
  switch (p.rule) {
    case "text":
      return { t: "text", text: text(p, source) };
    case "comment_tag":
      return { t: "comment", ws: tagWs(p, source) };
    case "super_tag":
      return { t: "super", pos: p.start };
    case "variable_tag":
      return { t: "var", ws: tagWs(p, source), expr: exprOf(p, source) };
    case "set_tag":
    case "set_global_tag":
      return {
        t: "set",
        ws: tagWs(p, source),
        key: text(child(p, "ident")!, source),
        value: exprOf(p, source),
        global: p.rule === "set_global_tag",
        pos: p.start,
      };
    case "raw": {
      const rawText = child(p, "raw_text");
      return {
        t: "raw",
        start: tagWs(child(p, "raw_tag")!, source),
        text: rawText ? text(rawText, source) : "",
        end: tagWs(child(p, "endraw_tag")!, source),
      };
    }
    case "break_tag":
      return { t: "break", ws: tagWs(p, source), pos: p.start };
    case "continue_tag":
      return { t: "continue", ws: tagWs(p, source), pos: p.start };
    case "include_tag": {
      const list = child(p, "string_array");
      return {
        t: "include",
        ws: tagWs(p, source),
        names: list ? list.children.map((s) => unquote(text(s, source))) : [stringOf(p, source)],
        ignoreMissing: child(p, "ignore_missing") !== undefined,
        pos: p.start,
      };
    }
    case "filter_section": {
      const tag = child(p, "filter_tag")!;
      const fn = tag.children.find((c) => c.rule === "fn_call" || c.rule === "ident")!;
      return {
        t: "filter",
        start: tagWs(tag, source),
        call:
          fn.rule === "fn_call"
            ? fnCall(fn, source)
            : { name: text(fn, source), args: new Map(), pos: fn.start },
        body: body(p.children.filter((c) => c.rule.endsWith("content"))),
        end: tagWs(child(p, "endfilter_tag")!, source),
      };
    }
    case "block": {
      const tag = child(p, "block_tag")!;
      return {
        t: "block",
        start: tagWs(tag, source),
        name: text(child(tag, "ident")!, source),
        body: body(p.children.filter((c) => c.rule === "block_content")),
        end: tagWs(child(p, "endblock_tag")!, source),
        pos: p.start,
      };
    }
    case "forloop": {
      const tag = child(p, "for_tag")!;
      const idents = tag.children.filter((c) => c.rule === "ident").map((c) => text(c, source));
      const container = tag.children.find(
        (c) => c.rule === "basic_expr_filter" || c.rule === "array_filter",
      )!;
      const loopBody: Pair[] = [];
      let emptyBody: Pair[] | undefined;
      for (const c of p.children) {
        if (c.rule === "else_tag") emptyBody = [];
        else if (c.rule.endsWith("content")) (emptyBody ?? loopBody).push(c);
      }
      return {
        t: "for",
        start: tagWs(tag, source),
        key: idents.length === 2 ? idents[0] : undefined,
        value: idents.at(-1)!,
        container:
          container.rule === "array_filter"
            ? arrayWithFilters(container, source)
            : basicExprWithFilters(container, source),
        body: body(loopBody),
        emptyBody: emptyBody && body(emptyBody),
        end: tagWs(child(p, "endfor_tag")!, source),
        pos: container.start,
      };
    }
    case "content_if":
    case "macro_if":
    case "block_if":
    case "for_if":
    case "filter_section_if": {
      const conditions: { ws: WS; expr: Expr; body: Node[] }[] = [];
      let otherwise: { ws: WS; body: Node[] } | undefined;
      let end: WS = { left: false, right: false };
      for (const c of p.children) {
        if (c.rule === "if_tag" || c.rule === "elif_tag") {
          conditions.push({
            ws: tagWs(c, source),
            expr: logicExpr(child(c, "logic_expr")!, source),
            body: [],
          });
        } else if (c.rule === "else_tag") otherwise = { ws: tagWs(c, source), body: [] };
        else if (c.rule === "endif_tag") end = tagWs(c, source);
        else (otherwise ?? conditions.at(-1)!).body.push(...nodesOf([c], source));
      }
      return { t: "if", conditions, otherwise, end };
    }
    default:
      throw new TemplateError(`unexpected ${p.rule}`, p.start);
  }
}

function macroDefinition(p: Pair, source: string): Node {
  const tag = child(p, "macro_tag")!;
  const signature = child(tag, "macro_fn_wrapper")!;
  const args = new Map<string, Expr | undefined>();
  for (const arg of signature.children.filter((c) => c.rule === "macro_def_arg")) {
    const name = text(arg.children[0]!, source);
    const literal = arg.children[1];
    args.set(
      name,
      literal && { val: literalVal(literal, source), negated: false, filters: [], pos: literal.start },
    );
  }
  const def: MacroDefinition = {
    name: text(child(signature, "ident")!, source),
    args,
    body: nodesOf(
      p.children.filter((c) => c.rule === "macro_content"),
      source,
    ),
    pos: signature.start,
  };
  return { t: "macro", start: tagWs(tag, source), def, end: tagWs(child(p, "endmacro_tag")!, source) };
}

function literalVal(p: Pair, source: string): ExprVal {
  const t = text(p, source);
  switch (p.rule) {
    case "int": {
      const v = BigInt(t);
      if (v < I64_MIN || v > I64_MAX) throw new TemplateError(`Integer out of bounds: \`${t}\``, p.start);
      return { t: "int", v };
    }
    case "float": {
      const v = Number(t);
      if (!Number.isFinite(v)) throw new TemplateError(`Float out of bounds: \`${t}\``, p.start);
      return { t: "float", v };
    }
    case "boolean":
      return { t: "bool", v: t === "true" || t === "True" };
    case "string":
      return { t: "string", v: unquote(t) };
    default:
      throw new TemplateError(`unexpected ${p.rule}`, p.start);
  }
}

/** The expression of a tag whose value is `logic_expr | array_filter`. */
function exprOf(p: Pair, source: string): Expr {
  const e = p.children.find((c) => c.rule === "logic_expr" || c.rule === "array_filter")!;
  return e.rule === "logic_expr" ? logicExpr(e, source) : arrayWithFilters(e, source);
}

const expr = (val: ExprVal, pos: number, filters: Call[] = []): Expr => ({
  val,
  negated: false,
  filters,
  pos,
});

/** Operator-precedence climbing over `operand (op operand)*`, left-associative, as pest's climber. */
function climb<T>(
  pairs: Pair[],
  precedence: (rule: string) => number,
  primary: (p: Pair) => T,
  infix: (lhs: T, op: Pair, rhs: T) => T,
): T {
  let i = 0;
  const parse = (minPrec: number): T => {
    let lhs = primary(pairs[i++]!);
    while (i < pairs.length) {
      const op = pairs[i]!;
      const prec = precedence(op.rule);
      if (prec < minPrec) break;
      i++;
      const rhs = parse(prec + 1);
      lhs = infix(lhs, op, rhs);
    }
    return lhs;
  };
  return parse(0);
}

const MATH_OPS: Record<string, MathOp> = {
  op_plus: "+",
  op_minus: "-",
  op_times: "*",
  op_slash: "/",
  op_modulo: "%",
};
const mathPrecedence = (rule: string) => (rule === "op_plus" || rule === "op_minus" ? 1 : 2);
const COMPARISONS: Record<string, LogicOp> = {
  op_lt: "<",
  op_lte: "<=",
  op_gt: ">",
  op_gte: ">=",
  op_eq: "==",
  op_ineq: "!=",
};

function basicExpression(p: Pair, source: string): ExprVal {
  switch (p.rule) {
    case "int":
    case "float":
    case "boolean":
      return literalVal(p, source);
    case "test":
    case "test_not":
      return testOf(p, source);
    case "fn_call":
      return { t: "call", call: fnCall(p, source) };
    case "macro_call": {
      const idents = p.children.filter((c) => c.rule === "ident");
      return {
        t: "macro",
        namespace: text(idents[0]!, source),
        name: text(idents[1]!, source),
        args: kwargs(p, source),
        pos: p.start,
      };
    }
    case "dotted_square_bracket_ident":
      return { t: "ident", path: parsePath(text(p, source), p.start) };
    case "basic_expr":
      return climb(
        p.children,
        mathPrecedence,
        (c) => basicExpression(c, source),
        (lhs, op, rhs) => ({
          t: "math",
          op: MATH_OPS[op.rule]!,
          lhs: expr(lhs, exprPos(lhs, op.start)),
          rhs: expr(rhs, exprPos(rhs, op.end)),
          pos: op.start,
        }),
      );
    default:
      throw new TemplateError(`unexpected ${p.rule}`, p.start);
  }
}

function exprPos(v: ExprVal, fallback: number): number {
  if (v.t === "ident") return v.path.pos;
  if (v.t === "call") return v.call.pos;
  if ("pos" in v) return v.pos;
  return fallback;
}

function basicExprWithFilters(p: Pair, source: string): Expr {
  const inner = child(p, "basic_expr")!;
  const val = basicExpression(inner, source);
  return expr(val, inner.start, filtersOf(p, source));
}

function stringExprWithFilters(p: Pair, source: string): Expr {
  const s = child(p, "string");
  const concat = child(p, "string_concat");
  const val: ExprVal = s ? { t: "string", v: unquote(text(s, source)) } : stringConcat(concat!, source);
  return expr(val, p.start, filtersOf(p, source));
}

function arrayWithFilters(p: Pair, source: string): Expr {
  const arr = child(p, "array")!;
  return expr(
    { t: "array", items: arr.children.map((c) => logicVal(c, source)) },
    p.start,
    filtersOf(p, source),
  );
}

function filtersOf(p: Pair, source: string): Call[] {
  return p.children
    .filter((c) => c.rule === "filter")
    .map((f) => {
      const inner = f.children[0]!;
      return inner.rule === "fn_call"
        ? fnCall(inner, source)
        : { name: text(inner, source), args: new Map<string, Expr>(), pos: inner.start };
    });
}

function stringConcat(p: Pair, source: string): ExprVal {
  const parts: ExprVal[] = [];
  let current = "";
  const flush = () => {
    if (current) parts.push({ t: "string", v: current });
    current = "";
  };
  for (const c of p.children) {
    if (c.rule === "string") {
      current += unquote(text(c, source));
      continue;
    }
    flush();
    parts.push(basicExpression(c, source));
  }
  if (parts.length === 0) return { t: "string", v: current };
  flush();
  return { t: "concat", parts };
}

function inCondition(p: Pair, source: string): Expr {
  let lhs: Expr | undefined;
  let rhs: Expr | undefined;
  let negated = false;
  for (const c of p.children) {
    if (c.rule === "string_expr_filter") lhs = stringExprWithFilters(c, source);
    else if (c.rule === "basic_expr_filter") lhs = basicExprWithFilters(c, source);
    else if (c.rule === "op_not") negated = true;
    else if (c.rule === "in_cond_container") {
      const inner = c.children[0]!;
      if (inner.rule === "array_filter") rhs = arrayWithFilters(inner, source);
      else if (inner.rule === "string_expr_filter") rhs = stringExprWithFilters(inner, source);
      else rhs = expr({ t: "ident", path: parsePath(text(inner, source), inner.start) }, inner.start);
    }
  }
  return expr({ t: "in", lhs: lhs!, rhs: rhs!, negated }, p.start);
}

function comparisonVal(p: Pair, source: string): Expr {
  if (p.rule === "basic_expr_filter") return basicExprWithFilters(p, source);
  return climb(
    p.children,
    mathPrecedence,
    (c) => comparisonVal(c, source),
    (lhs, op, rhs) => expr({ t: "math", op: MATH_OPS[op.rule]!, lhs, rhs, pos: op.start }, lhs.pos),
  );
}

function comparisonExpression(p: Pair, source: string): Expr {
  return climb(
    p.children,
    () => 1,
    (c) => (c.rule === "string_expr_filter" ? stringExprWithFilters(c, source) : comparisonVal(c, source)),
    (lhs, op, rhs) => expr({ t: "logic", op: COMPARISONS[op.rule]!, lhs, rhs, pos: op.start }, lhs.pos),
  );
}

function logicVal(p: Pair, source: string): Expr {
  let negated = false;
  let e: Expr | undefined;
  for (const c of p.children) {
    if (c.rule === "op_not") negated = true;
    else if (c.rule === "in_cond") e = inCondition(c, source);
    else if (c.rule === "comparison_expr") e = comparisonExpression(c, source);
    else if (c.rule === "logic_expr") e = logicExpr(c, source);
  }
  // As Tera: the flag is set, not toggled, so `(not x)` in parentheses loses its `not`.
  return { ...e!, negated };
}

function logicExpr(p: Pair, source: string): Expr {
  if (p.rule === "logic_val") return logicVal(p, source);
  return climb(
    p.children,
    (rule) => (rule === "op_or" ? 1 : 2),
    (c) => logicExpr(c, source),
    (lhs, op, rhs) =>
      expr({ t: "logic", op: op.rule === "op_or" ? "or" : "and", lhs, rhs, pos: op.start }, lhs.pos),
  );
}

function kwargs(p: Pair, source: string): Map<string, Expr> {
  const args = new Map<string, Expr>();
  for (const kw of p.children.filter((c) => c.rule === "kwarg")) {
    const value = kw.children[1]!;
    args.set(
      text(kw.children[0]!, source),
      value.rule === "logic_expr" ? logicExpr(value, source) : arrayWithFilters(value, source),
    );
  }
  return args;
}

function fnCall(p: Pair, source: string): Call {
  return { name: text(child(p, "ident")!, source), args: kwargs(p, source), pos: p.start };
}

function testOf(p: Pair, source: string): ExprVal {
  const ident = child(p, "dotted_square_bracket_ident")!;
  const call = child(p, "test_call")!;
  const args: Expr[] = [];
  for (const arg of call.children.filter((c) => c.rule === "test_arg")) {
    const inner = arg.children[0]!;
    if (inner.rule !== "logic_expr") {
      // Tera reaches `unreachable!()` (a crash) for an array literal here.
      throw new TemplateError("a test argument cannot be an array literal", inner.start);
    }
    args.push(logicExpr(inner, source));
  }
  return {
    t: "test",
    path: parsePath(text(ident, source), ident.start),
    negated: p.rule === "test_not",
    name: text(child(call, "ident")!, source),
    args,
    pos: call.start,
  };
}

/** Splits `a.b[0]["k"][x.y]` into its root and steps (Tera resolves them through JSON pointers). */
function parsePath(written: string, pos: number): Path {
  const segments: PathSegment[] = [];
  const rootEnd = written.search(/[.[]/);
  const root = rootEnd === -1 ? written : written.slice(0, rootEnd);
  let i = root.length;
  while (i < written.length) {
    if (written[i] === ".") {
      const m = /^[A-Za-z0-9_]+/.exec(written.slice(i + 1))!;
      segments.push({ k: "field", name: m[0] });
      i += 1 + m[0].length;
      continue;
    }
    // `[`: find the matching `]`, skipping quoted strings.
    let depth = 0;
    let j = i;
    let quote = "";
    for (; j < written.length; j++) {
      const ch = written[j]!;
      if (quote) {
        if (ch === quote) quote = "";
      } else if (ch === '"' || ch === "'" || ch === "`") quote = ch;
      else if (ch === "[") depth++;
      else if (ch === "]" && --depth === 0) break;
    }
    const inside = written.slice(i + 1, j);
    const first = inside[0];
    // A backquoted key is not a string here: Tera looks it up as a variable name (and fails).
    if (first === '"' || first === "'") segments.push({ k: "quoted", name: inside.slice(1, -1) });
    else if (/^\d+$/.test(inside)) segments.push({ k: "index", text: inside });
    else segments.push({ k: "var", path: parsePath(inside, pos + i + 1), text: inside });
    i = j + 1;
  }
  return { text: written, root, segments, pos };
}
