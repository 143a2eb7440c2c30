/**
 * Renders `mirrord-up.yaml` as a Tera template before it is parsed, as upstream does.
 * nunjucks speaks the same syntax for what a config file needs (`{{ }}`, `{% if %}`, filters,
 * `{% raw %}`); the few places where Tera differs are patched here.
 */
import { createRequire } from "node:module";
import type { Diagnostic } from "./diagnostics.js";

/** Variables a template can use. `git_branch` is present only when it is known, like upstream. */
export interface TemplateContext {
  key: string;
  git_branch?: string;
}

/** The result of rendering: the text, or the diagnostics that stopped it. */
export type RenderResult = { ok: true; text: string } | { ok: false; diagnostics: Diagnostic[] };

const TEMPLATE_MARKER = /\{[{%#]/;

/** True when the text contains template syntax at all; plain files skip the template engine. */
export function hasTemplateSyntax(text: string): boolean {
  return TEMPLATE_MARKER.test(text);
}

type Nunjucks = typeof import("nunjucks");
let nunjucksModule: Nunjucks | undefined;

function loadNunjucks(): Nunjucks {
  // Loaded on demand: most files have no template syntax and should not pay for the engine.
  nunjucksModule ??= createRequire(import.meta.url)("nunjucks") as Nunjucks;
  return nunjucksModule;
}

interface KeywordArgs {
  __keywords: true;
  [name: string]: unknown;
}

function isKeywordArgs(value: unknown): value is KeywordArgs {
  return typeof value === "object" && value !== null && (value as KeywordArgs).__keywords === true;
}

/** Thrown by template functions; carries a message meant for the user. */
class TemplateFunctionError extends Error {}

function createEnvironment(env: NodeJS.ProcessEnv) {
  const nunjucks = loadNunjucks();
  const environment = new nunjucks.Environment(null, { autoescape: false, throwOnUndefined: true });
  // Tera spells the argument `default(value='x')`; nunjucks would pass an object for it.
  environment.addFilter("default", (value: unknown, ...args: unknown[]) => {
    const last = args.at(-1);
    const fallback = isKeywordArgs(last) ? last.value : args[0];
    return value === undefined || value === null ? fallback : value;
  });
  // Tera's `get_env(name='X', default='y')`: missing without a default is an error.
  environment.addGlobal("get_env", (...args: unknown[]) => {
    const last = args.at(-1);
    const kwargs = isKeywordArgs(last) ? last : undefined;
    const name = kwargs ? kwargs.name : args[0];
    if (typeof name !== "string") {
      throw new TemplateFunctionError("get_env needs a `name` argument, e.g. get_env(name='HOME')");
    }
    const found = env[name];
    if (found !== undefined) return found;
    if (kwargs && "default" in kwargs) return kwargs.default;
    throw new TemplateFunctionError(
      `environment variable \`${name}\` is not set (give it a default: get_env(name='${name}', default='...'))`,
    );
  });
  return environment;
}

/** Renders `source`; every failure comes back as a located diagnostic for `file`. */
export function renderTemplate(
  source: string,
  context: TemplateContext,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): RenderResult {
  if (!hasTemplateSyntax(source)) return { ok: true, text: source };
  const environment = createEnvironment(env);
  try {
    return { ok: true, text: environment.renderString(source, { ...context }) };
  } catch (error) {
    return { ok: false, diagnostics: [templateErrorToDiagnostic(error, source, context, file)] };
  }
}

const POSITION = /\[Line (\d+), Column (\d+)\]/;

function templateErrorToDiagnostic(
  error: unknown,
  source: string,
  context: TemplateContext,
  file: string,
): Diagnostic {
  const raw = error instanceof Error ? error.message : String(error);
  // nunjucks prefixes "(unknown path) [Line L, Column C]\n  "; keep only the explanation.
  const explanation =
    raw
      .split("\n")
      .slice(1)
      .join(" ")
      .trim()
      .replace(/^Error: /, "") || raw;
  const lines = source.split("\n");
  const match = POSITION.exec(raw);
  let line = match ? Number(match[1]) : undefined;
  let col = match ? Number(match[2]) : undefined;
  let message = `template error: ${explanation}`;
  let hint: string | undefined;
  let span = 1;

  if (explanation.includes("attempted to output null or undefined value") && line !== undefined) {
    const symbol = findUndefinedSymbol(source, line, col ?? 1, context);
    if (symbol) {
      ({ line, col } = symbol);
      span = symbol.name.length;
      message = `template error: variable \`${symbol.name}\` is not defined`;
      hint =
        symbol.name === "git_branch"
          ? "git_branch is known only inside a git checkout or with MIRRORD_BRANCH_NAME set; " +
            "write {{ git_branch | default(value='main') }} to allow its absence"
          : `the variables are ${Object.keys(context).join(", ")}; write {{ ${symbol.name} | default(value='...') }} for an optional one`;
    }
  }
  const filter = /filter not found: (\S+)/.exec(explanation);
  if (filter && line === undefined) {
    const at = locate(source, new RegExp(`\\|\\s*${escapeRegExp(filter[1] ?? "")}\\b`));
    if (at) ({ line, col } = at);
    message = `template error: unknown filter \`${filter[1]}\``;
  }
  const missingEnv = /environment variable `([^`]+)`/.exec(explanation);
  if (missingEnv) {
    // nunjucks positions errors raised inside a function call unreliably; find the call itself.
    const name = escapeRegExp(missingEnv[1] ?? "");
    const at = locate(source, new RegExp(`get_env\\s*\\(\\s*(?:name\\s*=\\s*)?['"]${name}['"]`));
    if (at) ({ line, col } = at);
    message = `template error: ${explanation}`;
  }
  return {
    file,
    line,
    col,
    message,
    hint,
    span,
    sourceLine: line !== undefined ? lines[line - 1] : undefined,
  };
}

interface AstNode {
  typename?: string;
  value?: unknown;
  lineno?: number;
  colno?: number;
  fields?: string[];
  children?: AstNode[];
  [field: string]: unknown;
}

/**
 * nunjucks reports where the `{{ }}` starts, not which name was undefined; the parse tree knows.
 * Returns the first symbol at or after that position that the context does not define.
 */
function findUndefinedSymbol(
  source: string,
  line: number,
  col: number,
  context: TemplateContext,
): { name: string; line: number; col: number } | undefined {
  const nunjucks = loadNunjucks() as Nunjucks & { parser: { parse(src: string): AstNode } };
  let root: AstNode;
  try {
    root = nunjucks.parser.parse(source);
  } catch {
    return undefined;
  }
  const known = new Set([...Object.keys(context), "get_env"]);
  const candidates: { name: string; line: number; col: number }[] = [];
  const seen = new Set<AstNode>();
  const walk = (node: unknown): void => {
    if (!node || typeof node !== "object" || seen.has(node as AstNode)) return;
    const n = node as AstNode;
    seen.add(n);
    if (n.typename === "Symbol" && typeof n.value === "string" && !known.has(n.value)) {
      candidates.push({ name: n.value, line: (n.lineno ?? 0) + 1, col: (n.colno ?? 0) + 1 });
    }
    for (const field of n.fields ?? []) {
      const child = n[field];
      if (Array.isArray(child)) child.forEach(walk);
      else walk(child);
    }
    n.children?.forEach(walk);
  };
  walk(root);
  return candidates.find((c) => c.line === line && c.col >= col) ?? candidates.find((c) => c.line === line);
}

function locate(source: string, pattern: RegExp): { line: number; col: number } | undefined {
  const match = pattern.exec(source);
  if (!match) return undefined;
  const before = source.slice(0, match.index);
  const line = before.split("\n").length;
  return { line, col: match.index - before.lastIndexOf("\n") };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
