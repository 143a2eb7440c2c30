/**
 * Renders `mirrord-up.yaml` as a Tera template before it is parsed, as upstream does
 * (`Tera::default()`, the file added as "main", `key` and, when known, `git_branch` in the
 * context). The engine is src/template; this module only turns its errors into diagnostics with
 * hints for the mistakes people make in a config file.
 */

import type { Diagnostic } from "../core/errors.js";
import { suggest } from "../core/suggest.js";
import { renderTera, TERA_BUILTINS, type TeraError } from "../template/index.js";

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

/** Renders `source`; every failure comes back as a located diagnostic for `file`. */
export function renderTemplate(
  source: string,
  context: TemplateContext,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): RenderResult {
  if (!hasTemplateSyntax(source)) return { ok: true, text: source };
  const data: Record<string, string> = { key: context.key };
  if (context.git_branch !== undefined) data.git_branch = context.git_branch;
  // Remember which variables get_env read, so that their values never reach a message.
  const read = new Set<string>();
  const recordingEnv = new Proxy(env as Record<string, string | undefined>, {
    get(target, name) {
      if (typeof name !== "string" || !Object.hasOwn(target, name)) return undefined;
      read.add(name);
      return target[name];
    },
  });
  const result = renderTera(source, data, { env: recordingEnv });
  if (result.ok) return result;
  const secrets = [...read].map((name) => env[name]).filter((value): value is string => !!value);
  const lines = source.split(/\r?\n/);
  return {
    ok: false,
    diagnostics: result.errors.map((error) => toDiagnostic(error, lines, Object.keys(data), secrets, file)),
  };
}

function toDiagnostic(
  error: TeraError,
  lines: readonly string[],
  variables: readonly string[],
  secrets: readonly string[],
  file: string,
): Diagnostic {
  const sourceLine = lines[error.line - 1] ?? "";
  const at = Array.from(sourceLine)
    .slice(error.col - 1)
    .join("");
  const word = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(at)?.[0];
  let message = `template error: ${error.message}`;
  let hint: string | undefined;

  const undefinedVariable = /^Variable `([^`]+)` not found in context/.exec(error.message);
  const missingEnv = /^Environment variable `([^`]+)` not found/.exec(error.message);
  const unknown = /^(Filter|Function|Test) '([^']+)' not found/.exec(error.message);
  if (undefinedVariable) {
    const name = undefinedVariable[1]!;
    message = `template error: variable \`${name}\` is not defined`;
    hint =
      name === "git_branch"
        ? "git_branch is known only inside a git checkout or with MIRRORD_BRANCH_NAME set; " +
          "write {{ git_branch | default(value='main') }} to allow its absence"
        : `the variables are ${variables.join(", ")}; write {{ ${name} | default(value='...') }} for an optional one`;
  } else if (missingEnv) {
    const name = missingEnv[1]!;
    message = `template error: environment variable \`${name}\` is not set`;
    hint = `give it a default: get_env(name='${name}', default='...')`;
  } else if (unknown) {
    const kind = unknown[1]!.toLowerCase() as "filter" | "function" | "test";
    const close = suggest(unknown[2]!, TERA_BUILTINS[`${kind}s`]);
    message = `template error: unknown ${kind} \`${unknown[2]}\``;
    hint = close ? `did you mean \`${close}\`?` : `the ${kind}s are ${TERA_BUILTINS[`${kind}s`].join(", ")}`;
  } else if (/^expected/.test(error.message) && /^if\b/.test(at)) {
    hint = "Tera has no inline `a if c else b`; write {% if c %}a{% else %}b{% endif %}";
  } else if (
    /expected .*an identifier/.test(error.message) &&
    /[(,]\s*$/.test(sourceLine.slice(0, sourceLine.length - at.length))
  ) {
    hint = "Tera's filters and functions take named arguments only: default(value='x'), get_env(name='HOME')";
  }
  for (const secret of secrets) message = message.replaceAll(secret, "***");
  return {
    file,
    line: error.line,
    col: error.col,
    message,
    hint,
    span: undefinedVariable ? undefinedVariable[1]!.length : Math.max(1, word?.length ?? 1),
    sourceLine,
  };
}
