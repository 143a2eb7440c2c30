/**
 * `.env` files as mirrord reads them (the `dotenvy` crate, 0.15): `KEY=VALUE` lines, an optional
 * `export ` prefix, `#` comments (whole lines, or after a space behind an unquoted value), single
 * quotes (literal), double quotes (`\n`, `\"`, `\\`, `\$` escapes), values running over several
 * lines inside quotes, and `$NAME` / `${NAME}` substitution (from mirrord-up's environment first,
 * then the lines above, as dotenvy does; `$NAME` takes letters and digits only, `${NAME}` anything).
 * mirrord sessions get the file through mirrord's own `feature.env.env_file`; this module loads it
 * for local services and to notice when a file changed.
 *
 * An env file holds secrets, and may be a link to any file (`.env -> /etc/shadow`): a problem's
 * message quotes at most the variable name of a line that has one, never a value, never a line
 * without `=`. Its line and column say where.
 */

/** A line dotenvy would refuse: 1-based line and column in the file. */
interface EnvFileProblem {
  line: number;
  col: number;
  /** Fixed words, and at most the line's variable name: never text after `=`. */
  message: string;
}

export interface ParsedEnvFile {
  vars: Record<string, string>;
  problems: EnvFileProblem[];
}

/** Parses the text of a `.env` file; `env` is the environment substitutions look in first. */
export function parseEnvFile(text: string, env: Readonly<Record<string, string | undefined>>): ParsedEnvFile {
  const vars: Record<string, string> = {};
  const problems: EnvFileProblem[] = [];
  const known = new Map<string, string | undefined>();
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    // A quoted value may run over several lines: join until its quotes are closed.
    const first = i;
    let logical = lines[i] as string;
    while (quoteOpenAtEnd(logical) && i + 1 < lines.length) logical += `\n${lines[++i]}`;
    const parsed = parseLine(logical, env, known);
    if (parsed === undefined) continue;
    if ("error" in parsed) {
      const before = logical.slice(0, parsed.at);
      const extraLines = before.split("\n").length - 1;
      const col = parsed.at - (before.lastIndexOf("\n") + 1) + 1;
      problems.push({ line: first + 1 + extraLines, col, message: parsed.error });
      continue;
    }
    vars[parsed.key] = parsed.value;
  }
  return { vars, problems };
}

type LineResult = { key: string; value: string } | { error: string; at: number } | undefined;

function parseLine(
  line: string,
  env: Readonly<Record<string, string | undefined>>,
  known: Map<string, string | undefined>,
): LineResult {
  line = line.trimEnd();
  let pos = skipWhitespace(line, 0);
  if (pos >= line.length || line[pos] === "#") return undefined;
  let keyed = parseKey(line, pos);
  if ("error" in keyed) return keyed;
  pos = skipWhitespace(line, keyed.end);
  if (keyed.key === "export" && line[pos] !== "=") {
    // `export` is a prefix here (it can also be a key itself: `export=1`).
    keyed = parseKey(line, pos);
    if ("error" in keyed) return keyed;
    pos = skipWhitespace(line, keyed.end);
  }
  if (line[pos] !== "=") {
    // The name is not quoted: without its "=" the line may be anything (a password, a shadow line).
    return line.includes("=", pos)
      ? { error: "a variable name has only letters, digits, _ and .", at: pos }
      : { error: 'a line without "="', at: pos };
  }
  pos = skipWhitespace(line, pos + 1);
  const key = keyed.key;
  if (pos >= line.length || line[pos] === "#") {
    known.set(key, undefined);
    return { key, value: "" };
  }
  const value = parseValue(line, pos, env, known);
  if (typeof value !== "string") return { error: `${key}: ${value.error}`, at: value.at };
  known.set(key, value);
  return { key, value };
}

function parseKey(line: string, pos: number): { key: string; end: number } | { error: string; at: number } {
  if (!/[A-Za-z_]/.test(line[pos] ?? "")) {
    return { error: "a variable name starts with a letter or _", at: pos };
  }
  let end = pos;
  while (end < line.length && /[A-Za-z0-9_.]/.test(line[end] as string)) end++;
  return { key: line.slice(pos, end), end };
}

function skipWhitespace(line: string, pos: number): number {
  while (pos < line.length && /\s/.test(line[pos] as string)) pos++;
  return pos;
}

/** dotenvy's `parse_value`, character by character. */
function parseValue(
  line: string,
  start: number,
  env: Readonly<Record<string, string | undefined>>,
  known: Map<string, string | undefined>,
): string | { error: string; at: number } {
  let strong = false;
  let weak = false;
  let escaped = false;
  let expectingEnd = false;
  let substitution: "none" | "plain" | "braced" = "none";
  // Where the last quote and `${` opened, for the error when one is never closed.
  let quoteAt = start;
  let braceAt = start;
  let name = "";
  let output = "";
  const substitute = () => {
    output += env[name] ?? known.get(name) ?? "";
    name = "";
  };
  for (let index = start; index < line.length; index++) {
    const c = line[index] as string;
    if (expectingEnd) {
      if (c === " " || c === "\t") continue;
      if (c === "#") break;
      return { error: "a value with spaces must be quoted", at: index };
    }
    if (escaped) {
      if (c === "\\" || c === "'" || c === '"' || c === "$" || c === " ") output += c;
      else if (c === "n") output += "\n";
      // The column points at the character: it is part of the value, so it is not quoted.
      else return { error: "unknown escape sequence", at: index };
      escaped = false;
    } else if (strong) {
      if (c === "'") strong = false;
      else output += c;
    } else if (substitution !== "none") {
      if (/^[\p{L}\p{N}]$/u.test(c)) name += c;
      else if (substitution === "plain") {
        if (c === "{" && name === "") {
          substitution = "braced";
          braceAt = index - 1;
        } else {
          substitute();
          if (c === "$") substitution = "plain";
          else {
            substitution = "none";
            // The character after the name is taken as is (dotenvy does the same).
            output += c;
          }
        }
      } else if (c === "}") {
        substitution = "none";
        substitute();
      } else name += c;
    } else if (c === "$") substitution = "plain";
    else if (weak) {
      if (c === '"') weak = false;
      else if (c === "\\") escaped = true;
      else output += c;
    } else if (c === "'" || c === '"') {
      strong = c === "'";
      weak = c === '"';
      quoteAt = index;
    } else if (c === "\\") escaped = true;
    else if (c === " " || c === "\t") expectingEnd = true;
    else output += c;
  }
  // biome-ignore lint/suspicious/noTemplateCurlyInString: dotenv syntax, not a template
  if (substitution === "braced") return { error: "${ is never closed by }", at: braceAt };
  if (strong || weak) return { error: `the ${strong ? "'" : '"'} quote is never closed`, at: quoteAt };
  substitute();
  return output;
}

/**
 * True when `text` ends inside a quote (the value goes on on the next line). A `#` at the start
 * or after a blank, outside quotes, starts a comment, whose quotes do not count.
 */
function quoteOpenAtEnd(text: string): boolean {
  let strong = false;
  let weak = false;
  let escaped = false;
  let afterBlank = true;
  for (const c of text) {
    if (escaped) escaped = false;
    else if (strong) strong = c !== "'";
    else if (weak) {
      if (c === "\\") escaped = true;
      else if (c === '"') weak = false;
    } else if (c === "#" && afterBlank) return false;
    else if (c === "\\") escaped = true;
    else if (c === "'") strong = true;
    else if (c === '"') weak = true;
    afterBlank = c === " " || c === "\t";
  }
  return strong || weak;
}
