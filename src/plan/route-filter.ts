/**
 * One `http_filter` against one request, as mirrord's agent (3.250.0) decides it. Pure. Each rule
 * cites its source at the tag; docs/route.md lists the same lines.
 */
import { type FancyMatch, fancyIsMatch } from "../core/fancy-match.js";

/** An HTTP request as the agent sees it. */
export interface RouteRequest {
  method: string;
  /** The request target in origin form: the path, then `?query` if any. */
  target: string;
  /** In the order sent; a repeated header is two entries. */
  headers: readonly { name: string; value: string }[];
}

/** One step of a decision and the agent source line it follows. */
export interface RouteReason {
  text: string;
  source: string;
}

export type FilterOutcome = "match" | "no-match" | "cannot-tell";

export interface FilterDecision {
  outcome: FilterOutcome;
  reasons: RouteReason[];
}

const FILTER_RS = "mirrord/agent/src/http/filter.rs";
const CONFIG_RS = "mirrord/config/src/feature/network/incoming/http_filter.rs";
/** The agent's source lines, by rule. */
const SOURCES = {
  headerCompile: `${FILTER_RS}:61`,
  pathCompile: `${FILTER_RS}:64`,
  headerLines: `${FILTER_RS}:311-323`,
  headerAny: `${FILTER_RS}:300-309`,
  pathThenQuery: `${FILTER_RS}:119-140`,
  method: `${FILTER_RS}:142`,
  allOf: `${FILTER_RS}:144-156`,
  anyOf: `${FILTER_RS}:157-168`,
  body: `${FILTER_RS}:169-193`,
  headerJq: `${FILTER_RS}:194-210`,
  oneKind: `${CONFIG_RS}:357-437`,
  methodNames: "mirrord/protocol/src/tcp.rs:347-373",
} as const;

const STANDARD_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"];

/** Decides `filter` (a mirrord.json `http_filter`, which sets one filter kind) for `request`. */
export function decideHttpFilter(filter: Record<string, unknown>, request: RouteRequest): FilterDecision {
  const reasons: RouteReason[] = [];
  const kind = (
    [
      ["header_filter", { header: filter.header_filter }],
      ["path_filter", { path: filter.path_filter }],
      ["method_filter", { method: filter.method_filter }],
      ["body_filter", { body: filter.body_filter }],
      ["header_filter_jq", { query: filter.header_filter_jq }],
    ] as const
  ).find(([key]) => filter[key] !== undefined);
  let outcome: FilterOutcome;
  if (kind) outcome = decideInner(kind[1], kind[0], request, reasons);
  else if (Array.isArray(filter.all_of)) outcome = decideComposite(true, filter.all_of, request, reasons);
  else if (Array.isArray(filter.any_of)) outcome = decideComposite(false, filter.any_of, request, reasons);
  else {
    outcome = "cannot-tell";
    reasons.push({ text: "the http_filter sets no filter kind", source: SOURCES.oneKind });
  }
  return { outcome, reasons };
}

function decideComposite(
  all: boolean,
  entries: readonly unknown[],
  request: RouteRequest,
  reasons: RouteReason[],
): FilterOutcome {
  const name = all ? "all_of" : "any_of";
  const outcomes = entries.map((entry, i) =>
    decideInner(entry as Record<string, unknown>, `${name}[${i}]`, request, reasons),
  );
  // The agent stops at the first entry that settles it; entries have no side effects, so the
  // verdict is the same as over all of them, with "cannot tell" only where it could go either way.
  const settles: FilterOutcome = all ? "no-match" : "match";
  const outcome: FilterOutcome = outcomes.includes(settles)
    ? settles
    : outcomes.includes("cannot-tell")
      ? "cannot-tell"
      : all
        ? "match"
        : "no-match";
  reasons.push({
    text: `${name}: ${all ? "every entry must match" : "one matching entry is enough"}: ${outcomeWords(outcome)}`,
    source: all ? SOURCES.allOf : SOURCES.anyOf,
  });
  return outcome;
}

function outcomeWords(outcome: FilterOutcome): string {
  return outcome === "match" ? "matches" : outcome === "no-match" ? "does not match" : "cannot tell";
}

/** One filter: `{header}`, `{path}`, `{method}`, `{query}` (jq on headers) or `{body: json, ...}`. */
function decideInner(
  entry: Record<string, unknown>,
  label: string,
  request: RouteRequest,
  reasons: RouteReason[],
): FilterOutcome {
  if (typeof entry.header === "string") return decideHeader(entry.header, label, request, reasons);
  if (typeof entry.path === "string") return decidePath(entry.path, label, request, reasons);
  if (typeof entry.method === "string") return decideMethod(entry.method, label, request, reasons);
  if (entry.body !== undefined) {
    reasons.push({
      text: `${label}: a body filter reads the request body, which route does not model: cannot tell`,
      source: SOURCES.body,
    });
    return "cannot-tell";
  }
  reasons.push({
    text: `${label}: a jq filter over the headers is not evaluated here: cannot tell`,
    source: SOURCES.headerJq,
  });
  return "cannot-tell";
}

/**
 * The header lines the agent matches: `name: value`, the name in lower case (hyper's header
 * names), one line per header as sent; a value that is not visible ASCII (`to_str` fails) is left out.
 */
function headerLines(request: RouteRequest): { lines: string[]; skipped: string[] } {
  const lines: string[] = [];
  const skipped: string[] = [];
  for (const { name, value } of request.headers) {
    const line = `${name.toLowerCase()}: ${value}`;
    // http's HeaderValue::to_str: bytes 0x20-0x7e and tab only.
    if (/^[\t\x20-\x7e]*$/.test(value)) lines.push(line);
    else skipped.push(name.toLowerCase());
  }
  return { lines, skipped };
}

function decideHeader(
  pattern: string,
  label: string,
  request: RouteRequest,
  reasons: RouteReason[],
): FilterOutcome {
  const compiled = `(?i)${pattern}`;
  reasons.push({
    text: `${label}: compiled as ${JSON.stringify(compiled)}, searched anywhere in each \`name: value\` line`,
    source: SOURCES.headerCompile,
  });
  const { lines, skipped } = headerLines(request);
  reasons.push({
    text: `the request's header lines: ${lines.map((l) => JSON.stringify(l)).join(", ") || "none"}`,
    source: SOURCES.headerLines,
  });
  for (const name of skipped) {
    reasons.push({
      text: `header ${name}: its value is not visible ASCII, so it is skipped`,
      source: SOURCES.headerLines,
    });
  }
  let outcome: FilterOutcome = "no-match";
  for (const line of lines) {
    const result = fancyIsMatch(compiled, line);
    const said = describeMatch(result, `header line ${JSON.stringify(line)}`);
    reasons.push({ text: said, source: SOURCES.headerAny });
    if (result.verdict === "match") return "match";
    if (result.verdict === "cannot-tell" || result.verdict === "invalid") outcome = "cannot-tell";
  }
  if (outcome === "no-match") {
    reasons.push({
      text: `${label}: no header line matches${lines.length === 0 ? " (the request has none)" : ""}`,
      source: SOURCES.headerAny,
    });
  }
  return outcome;
}

function decidePath(
  pattern: string,
  label: string,
  request: RouteRequest,
  reasons: RouteReason[],
): FilterOutcome {
  const compiled = `(?i)${pattern}`;
  reasons.push({ text: `${label}: compiled as ${JSON.stringify(compiled)}`, source: SOURCES.pathCompile });
  const query = request.target.indexOf("?");
  const path = query < 0 ? request.target : request.target.slice(0, query);
  let undecided = false;
  for (const [what, text] of [
    ["the path", path],
    ["the path and query", request.target],
  ] as const) {
    const result = fancyIsMatch(compiled, text);
    reasons.push({
      text: describeMatch(result, `${what} ${JSON.stringify(text)}`),
      source: SOURCES.pathThenQuery,
    });
    if (result.verdict === "match") return "match";
    if (result.verdict === "cannot-tell" || result.verdict === "invalid") undecided = true;
  }
  return undecided ? "cannot-tell" : "no-match";
}

function decideMethod(
  method: string,
  label: string,
  request: RouteRequest,
  reasons: RouteReason[],
): FilterOutcome {
  const name = asciiUpper(method);
  if (!STANDARD_METHODS.includes(name)) {
    reasons.push({
      text: `${label}: ${JSON.stringify(method)} is not one of mirrord's named methods; how its Other variant parses is not modelled: cannot tell`,
      source: SOURCES.methodNames,
    });
    return "cannot-tell";
  }
  const same = asciiUpper(request.method) === name;
  reasons.push({
    text: `${label}: method ${request.method} ${same ? "is" : "is not"} ${name} (compared ignoring ASCII case)`,
    source: SOURCES.method,
  });
  return same ? "match" : "no-match";
}

/** Rust's `to_ascii_uppercase`: other letters stay as they are. */
function asciiUpper(text: string): string {
  return text.replace(/[a-z]/g, (c) => c.toUpperCase());
}

/** One regex verdict in words; a matching error counts as no match, as the agent's `unwrap_or`. */
function describeMatch(result: FancyMatch, what: string): string {
  switch (result.verdict) {
    case "match":
      return `${what} matches`;
    case "no-match":
      return `${what} does not match`;
    case "match-error":
      return `${what}: matching fails (${result.why}); the agent counts an error as no match`;
    case "invalid":
      return `${what}: the filter does not compile (${result.why}): cannot tell`;
    case "cannot-tell":
      return `${what}: cannot tell (${result.why})`;
  }
}
