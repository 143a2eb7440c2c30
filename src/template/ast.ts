/**
 * The parsed template, shaped like Tera's own AST (`parser/ast.rs`) so that evaluation can follow
 * Tera's renderer case by case. Every expression keeps the source offset it started at, for
 * errors; Tera itself has no positions after parsing.
 */

/** `{%-` / `-%}`: whether the tag trims the whitespace on its left / right. */
export interface WS {
  left: boolean;
  right: boolean;
}

/** A filter or function call: `name(arg=value, ...)`; arguments are keyword-only. */
export interface Call {
  name: string;
  args: Map<string, Expr>;
  pos: number;
}

/** One step of a variable path: `.name`, `["key"]`, `[0]` or `[other.variable]`. */
export type PathSegment =
  | { k: "field"; name: string }
  | { k: "quoted"; name: string }
  | { k: "index"; text: string }
  | { k: "var"; path: Path; text: string };

/** A variable as written (`a.b[c]`), split into its root name and the steps after it. */
export interface Path {
  text: string;
  root: string;
  segments: PathSegment[];
  pos: number;
}

export type MathOp = "+" | "-" | "*" | "/" | "%";
export type LogicOp = "and" | "or" | "<" | "<=" | ">" | ">=" | "==" | "!=";

export type ExprVal =
  | { t: "string"; v: string }
  | { t: "int"; v: bigint }
  | { t: "float"; v: number }
  | { t: "bool"; v: boolean }
  | { t: "ident"; path: Path }
  | { t: "math"; op: MathOp; lhs: Expr; rhs: Expr; pos: number }
  | { t: "logic"; op: LogicOp; lhs: Expr; rhs: Expr; pos: number }
  | { t: "test"; path: Path; negated: boolean; name: string; args: Expr[]; pos: number }
  | { t: "macro"; namespace: string; name: string; args: Map<string, Expr>; pos: number }
  | { t: "call"; call: Call }
  | { t: "array"; items: Expr[] }
  | { t: "concat"; parts: ExprVal[] }
  | { t: "in"; lhs: Expr; rhs: Expr; negated: boolean };

/** An expression: a value, whether `not` applies to it, and the filters applied in order. */
export interface Expr {
  val: ExprVal;
  negated: boolean;
  filters: Call[];
  pos: number;
}

export interface MacroDefinition {
  name: string;
  /** Argument name → literal default, in the order written. */
  args: Map<string, Expr | undefined>;
  body: Node[];
  pos: number;
}

export type Node =
  | { t: "text"; text: string }
  | { t: "raw"; start: WS; text: string; end: WS }
  | { t: "comment"; ws: WS }
  | { t: "var"; ws: WS; expr: Expr }
  | { t: "set"; ws: WS; key: string; value: Expr; global: boolean; pos: number }
  | {
      t: "if";
      conditions: { ws: WS; expr: Expr; body: Node[] }[];
      otherwise?: { ws: WS; body: Node[] };
      end: WS;
    }
  | {
      t: "for";
      start: WS;
      key?: string;
      value: string;
      container: Expr;
      body: Node[];
      emptyBody?: Node[];
      end: WS;
      pos: number;
    }
  | { t: "break"; ws: WS; pos: number }
  | { t: "continue"; ws: WS; pos: number }
  | { t: "filter"; start: WS; call: Call; body: Node[]; end: WS }
  | { t: "block"; start: WS; name: string; body: Node[]; end: WS; pos: number }
  | { t: "super"; pos: number }
  | { t: "macro"; start: WS; def: MacroDefinition; end: WS }
  | { t: "include"; ws: WS; names: string[]; ignoreMissing: boolean; pos: number }
  | { t: "extends"; ws: WS; name: string; pos: number }
  | { t: "import"; ws: WS; name: string; namespace: string; pos: number };
