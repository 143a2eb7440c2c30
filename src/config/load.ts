/**
 * read -> template -> parse YAML -> validate. Every problem found on the way becomes a
 * diagnostic located in the file the user wrote; all of them are reported together.
 */
import { execFile, spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { type Document, isMap, isPair, isScalar, LineCounter, type Node, parseDocument } from "yaml";
import type * as z from "zod/v4";
import { type Diagnostic, UserError } from "../core/errors.js";
import { FileReadError, readRegularFile } from "../core/files.js";
import { suggest } from "../core/suggest.js";
import { allowedKeysAt } from "./json-schema-walk.js";
import { renderInWorker } from "./render-worker.js";
import { type UpConfig, upConfigJsonSchema, upConfigSchema } from "./schema.js";
import { createPositionMapper } from "./source-map.js";
import { hasTemplateSyntax, type RenderResult, renderTemplate, type TemplateContext } from "./template.js";
import { AliasLimitExceeded, type DocumentData, documentToData, keyText } from "./yaml-data.js";

/** Files larger than this are refused before parsing: a config this big is a mistake. */
const MAX_CONFIG_BYTES = 1024 * 1024;

/** How many YAML aliases may be expanded; bounds the "billion laughs" blow-up. */
const MAX_ALIAS_COUNT = 100;

/** A path into the config, as zod reports it: `["services", "api", "run", "command"]`. */
export type ConfigPath = readonly PropertyKey[];

/** Where something is in the file the user wrote. */
interface Location {
  file: string;
  line?: number;
  col?: number;
  sourceLine?: string;
  span?: number;
}

/** A validated file and the means to point back into it. */
export interface LoadedConfig {
  /** The path as the user gave it (for messages). */
  file: string;
  /** Absolute path of the file. */
  absolutePath: string;
  /** The file's text as written (before templating). */
  source: string;
  config: UpConfig;
  /** Locates a config path in the source: the value, or with `key: true` the key naming it. */
  locate(path: ConfigPath, options?: { key?: boolean }): Location;
}

export interface LoadOptions {
  /** The file as given by `-f` (relative to `cwd`). */
  file: string;
  cwd: string;
  /** The session key, available to templates as `{{ key }}`. */
  key: string;
  env: NodeJS.ProcessEnv;
}

/** Loads and validates a config file; throws `UserError` with every diagnostic on failure. */
export function loadConfig(options: LoadOptions): LoadedConfig {
  const { file, cwd, env } = options;
  const absolutePath = resolve(cwd, file);
  const source = readConfigText(file, absolutePath);

  const context: TemplateContext = { key: options.key };
  if (source.includes("git_branch")) {
    const branch = detectGitBranch(env, cwd);
    if (branch) context.git_branch = branch;
  }
  return validated(file, absolutePath, source, renderTemplate(source, context, file, env));
}

/**
 * `loadConfig` for a running `up`: the template is rendered on a worker thread (render-worker.ts),
 * so that the run's output, control socket and signals go on while it renders.
 */
export async function loadConfigOffThread(options: LoadOptions): Promise<LoadedConfig> {
  const { file, cwd, env } = options;
  const absolutePath = resolve(cwd, file);
  const source = readConfigText(file, absolutePath);
  const context: TemplateContext = { key: options.key };
  if (source.includes("git_branch")) {
    const branch = await gitBranchOffThread(env, cwd);
    if (branch) context.git_branch = branch;
  }
  const rendered = hasTemplateSyntax(source)
    ? await renderInWorker(source, context, file, env)
    : ({ ok: true, text: source } as const);
  return validated(file, absolutePath, source, rendered);
}

function validated(file: string, absolutePath: string, source: string, rendered: RenderResult): LoadedConfig {
  if (!rendered.ok) throw new UserError(rendered.diagnostics);
  return parseAndValidate(file, absolutePath, source, rendered.text);
}

/** Parses already-rendered text; exported for tests that exercise parsing alone. */
function parseAndValidate(file: string, absolutePath: string, source: string, text: string): LoadedConfig {
  const mapPosition = createPositionMapper(source, text);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });

  const at = (offset: number, span = 1): Location => {
    const { line, col } = lineCounter.linePos(offset);
    const pos = mapPosition(line, col);
    return { file, line: pos.line, col: pos.col, sourceLine: pos.text, span };
  };
  const locate = (path: ConfigPath, opts?: { key?: boolean }): Location =>
    locateInDocument(doc, path, opts?.key ?? false, at, file);

  if (doc.errors.length > 0) {
    throw new UserError(
      doc.errors.map((e) => ({ ...at(e.pos[0], e.pos[1] - e.pos[0]), ...describeYamlError(e) })),
    );
  }

  let converted: DocumentData;
  try {
    converted = documentToData(doc, upConfigJsonSchema(), MAX_ALIAS_COUNT);
  } catch (error) {
    if (!(error instanceof AliasLimitExceeded)) throw error;
    throw new UserError({
      ...(error.offset !== undefined ? at(error.offset) : { file }),
      message: `YAML aliases expand too far; at most ${MAX_ALIAS_COUNT} expansions are allowed`,
    });
  }
  const { data } = converted;
  const readProblems: Diagnostic[] = converted.problems.map((p) => ({
    ...at(p.offset, p.span),
    message: `${p.path.length > 0 ? `${dotted(p.path)}: ` : ""}${p.message}`,
    hint: p.hint,
  }));
  if (data === null || data === undefined) {
    throw new UserError({
      file,
      line: 1,
      col: 1,
      message: "the file is empty",
      hint: "it needs a `services:` mapping",
    });
  }

  const result = upConfigSchema.safeParse(data);
  if (!result.success || readProblems.length > 0) {
    const slips = result.success ? new Map() : indentationSlips(data);
    const invalid = result.success
      ? []
      : result.error.issues
          .filter((i) => !followsFromSlip(i.path, slips, data))
          .map((i) => issueToDiagnostic(i, data, locate));
    const slipped = [...slips].map(([name, owner]) => slipDiagnostic(name, owner, locate));
    throw new UserError([...readProblems, ...slipped, ...invalid]);
  }
  return { file, absolutePath, source, config: result.data, locate };
}

function readConfigText(file: string, absolutePath: string): string {
  let bytes: Buffer;
  try {
    bytes = readRegularFile(absolutePath, MAX_CONFIG_BYTES);
  } catch (error) {
    if (!(error instanceof FileReadError)) throw error;
    if (error.reason === "missing") {
      throw new UserError({
        file,
        message: `config file not found (looked for ${absolutePath})`,
        hint: "create one with `mirrord-up init`, or point at another with `mirrord-up -f <file>`",
      });
    }
    if (error.reason === "too-large") {
      throw new UserError({
        file,
        message: `${error.message}; config files are limited to 1 MiB`,
        hint: "is this the right file?",
      });
    }
    if (error.reason === "not-regular") {
      throw new UserError({ file, message: error.message });
    }
    throw new UserError({
      file,
      message: `cannot read the config file: ${error.message}`,
    });
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) {
    throw new UserError({
      ...offsetLocation(file, bytes, nul),
      message: "the file is not text (it contains a NUL byte)",
    });
  }
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes).replace(/^\uFEFF/, "");
  } catch {
    const bad = firstInvalidUtf8(bytes);
    throw new UserError({ ...offsetLocation(file, bytes, bad), message: "the file is not valid UTF-8 text" });
  }
}

function offsetLocation(file: string, bytes: Buffer, offset: number): Location {
  const before = bytes.subarray(0, offset);
  const line = before.filter((b) => b === 10).length + 1;
  return { file, line, col: offset - (before.lastIndexOf(10) + 1) + 1 };
}

function firstInvalidUtf8(bytes: Buffer): number {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  let lo = 0;
  let hi = bytes.length;
  // Binary search for the shortest prefix that fails to decode.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    try {
      decoder.decode(bytes.subarray(0, mid + 1), { stream: true });
      decoder.decode();
      lo = mid + 1;
    } catch {
      hi = mid;
    }
  }
  return Math.max(0, lo - 3);
}

/** `git_branch` as upstream computes it: `MIRRORD_BRANCH_NAME`, else the checked-out branch. */
function detectGitBranch(env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const fromEnv = env.MIRRORD_BRANCH_NAME?.trim();
  if (fromEnv) return fromEnv;
  const git = spawnSync("git", ["branch", "--show-current"], { cwd, encoding: "utf8", timeout: 5000 });
  const branch = git.status === 0 ? git.stdout.trim() : "";
  return branch || undefined;
}

/** `detectGitBranch` without waiting for git on the main thread. */
function gitBranchOffThread(env: NodeJS.ProcessEnv, cwd: string): Promise<string | undefined> {
  const fromEnv = env.MIRRORD_BRANCH_NAME?.trim();
  if (fromEnv) return Promise.resolve(fromEnv);
  return new Promise((resolve) => {
    execFile("git", ["branch", "--show-current"], { cwd, encoding: "utf8", timeout: 5000 }, (error, stdout) =>
      resolve((error ? "" : stdout.trim()) || undefined),
    );
  });
}

const YAML_MESSAGES: Record<string, string> = {
  DUPLICATE_KEY: "duplicate key",
  BAD_INDENT: "bad indentation",
  TAB_AS_INDENT: "tabs cannot indent YAML; use spaces",
  MULTIPLE_DOCS: "the file holds several YAML documents; use one",
};

function describeYamlError(error: { code: string; message: string }): Pick<Diagnostic, "message" | "hint"> {
  if (error.code === "DUPLICATE_KEY") {
    return {
      message: "duplicate key: each key may appear once in a mapping",
      hint: "remove or rename one of them",
    };
  }
  const known = YAML_MESSAGES[error.code];
  const detail = error.message.split("\n")[0]?.replace(/ at line \d+, column \d+.*$/, "");
  return { message: `YAML syntax error: ${known ? `${known} (${detail})` : detail}` };
}

/** Finds the node for `path`; missing tails fall back to the key of the deepest existing parent. */
function locateInDocument(
  doc: Document,
  path: ConfigPath,
  wantKey: boolean,
  at: (offset: number, span?: number) => Location,
  file: string,
): Location {
  let node: unknown = doc.contents;
  let keyNode: Node | undefined;
  for (const segment of path) {
    if (!isMap(node) && !(node && typeof node === "object" && "items" in node)) break;
    const collection = node as { items: unknown[] };
    let next: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyText(p.key) === String(segment));
      if (!pair) break;
      keyNode = pair.key as Node;
      next = pair.value;
    } else if (typeof segment === "number") {
      next = collection.items[segment];
      keyNode = undefined;
    }
    if (next === undefined) break;
    node = next;
    if (node === null) break;
  }
  const target = wantKey && keyNode ? keyNode : ((node as Node | null) ?? keyNode);
  const range = target?.range ?? keyNode?.range;
  if (!range) return { file, line: 1, col: 1 };
  const span = isScalar(target) ? Math.max(1, range[1] - range[0]) : 1;
  return at(range[0], span);
}

function valueAt(data: unknown, path: ConfigPath): unknown {
  return path.reduce<unknown>((acc, key) => (acc as Record<PropertyKey, unknown> | undefined)?.[key], data);
}

function dotted(path: ConfigPath): string {
  return path
    .map((p) => (typeof p === "number" ? `[${p}]` : String(p)))
    .join(".")
    .replace(/\.\[/g, "[");
}

/**
 * A key that is unknown at `path` but a field one level in (`command:` beside `run:` rather than
 * under it) or one level out (`restart:` under `run:`): the indentation slipped.
 */
function misplacedKey(key: string, path: ConfigPath, allowed: readonly string[]): string | undefined {
  const schema = upConfigJsonSchema();
  const inner = allowed.find((field) => allowedKeysAt(schema, [...path, field]).includes(key));
  if (inner) return `\`${key}\` looks like a field of \`${inner}\`: indented too little?`;
  const parent = path.slice(0, -1);
  if (path.length > 0 && allowedKeysAt(schema, parent).includes(key)) {
    const owner =
      parent.length === 2 && parent[0] === "services"
        ? `the service \`${String(parent[1])}\``
        : parent.length > 0
          ? `\`${dotted(parent)}\``
          : "the top level";
    return `\`${key}\` looks like a field of ${owner}: indented too much?`;
  }
  return undefined;
}

/**
 * Entries of `services` named like a service field that are not services (a mapping with
 * `run`): `run:` or `target:` indented too little, read as a service. Each maps to the service
 * written above it, which the field belongs to (undefined when it is the first).
 */
function indentationSlips(data: unknown): Map<string, string | undefined> {
  const slips = new Map<string, string | undefined>();
  const services = (data as { services?: unknown } | null)?.services;
  if (!isPlainObject(services)) return slips;
  const fields = allowedKeysAt(upConfigJsonSchema(), ["services", "any"]);
  let owner: string | undefined;
  for (const [name, value] of Object.entries(services)) {
    if (fields.includes(name) && !(isPlainObject(value) && "run" in value)) slips.set(name, owner);
    else owner = name;
  }
  return slips;
}

/** An issue that only says the slip again: inside the slipped entry, or its owner's missing field. */
function followsFromSlip(path: ConfigPath, slips: Map<string, string | undefined>, data: unknown): boolean {
  if (path[0] !== "services" || slips.size === 0) return false;
  if (slips.has(String(path[1]))) return true;
  const [, owner, field] = path;
  return (
    path.length === 3 &&
    slips.has(String(field)) &&
    slips.get(String(field)) === owner &&
    valueAt(data, path) === undefined
  );
}

function slipDiagnostic(
  name: string,
  owner: string | undefined,
  locate: (path: ConfigPath, options?: { key?: boolean }) => Location,
): Diagnostic {
  return {
    ...locate(["services", name], { key: true }),
    message: `services.${name}: \`${name}:\` is at the level of the services, so it reads as a service named "${name}"`,
    hint: owner
      ? `\`${name}\` looks like a service field: indented too little? Indent it under \`${owner}\`, like its other fields`
      : `\`${name}\` looks like a service field: indented too little, or is the service's name missing above it?`,
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function issueToDiagnostic(
  issue: z.core.$ZodIssue,
  data: unknown,
  locate: (path: ConfigPath, options?: { key?: boolean }) => Location,
): Diagnostic {
  const path = issue.path as PropertyKey[];
  const where = path.length > 0 ? `${dotted(path)}: ` : "";
  const params = (issue as { params?: { hint?: string; at?: string } }).params;

  if (issue.code === "unrecognized_keys") {
    const key = issue.keys[0] ?? "";
    const others =
      issue.keys.length > 1
        ? ` (and ${issue.keys
            .slice(1)
            .map((k) => `"${k}"`)
            .join(", ")})`
        : "";
    const allowed = allowedKeysAt(upConfigJsonSchema(), path);
    const close = suggest(key, allowed);
    return {
      ...locate([...path, key], { key: true }),
      message: `${where}unknown key "${key}"${others}`.replace(/^: /, ""),
      hint: close
        ? `did you mean "${close}"?`
        : (misplacedKey(key, path, allowed) ??
          (allowed.length ? `allowed keys: ${allowed.join(", ")}` : undefined)),
    };
  }

  if (issue.code === "invalid_key") {
    // A bad key of a record (an environment variable's name): point at the key itself.
    const inner = issue.issues[0]?.message ?? "invalid key";
    const parent = dotted(path.slice(0, -1));
    return { ...locate(path, { key: true }), message: `${parent ? `${parent}: ` : ""}${inner}` };
  }

  const value = valueAt(data, path);
  let message = issue.message.replace(/^Invalid input: /, "");
  let hint = params?.hint;
  if (issue.code === "invalid_type" && value === undefined) {
    const field = path.at(-1);
    return {
      ...locate(path.slice(0, -1), { key: true }),
      message: `${dotted(path.slice(0, -1)) || "the file"}: missing required key "${String(field)}"`,
    };
  }
  if (issue.code === "invalid_union" && path.at(-1) === "target" && typeof value === "string") {
    hint = `to name a workload write \`target: {path: ${value}}\``;
  }
  if (issue.code === "invalid_value" && typeof value === "string" && "values" in issue) {
    const close = suggest(value, (issue.values as unknown[]).map(String));
    if (close) hint = `did you mean "${close}"?`;
  }
  if (issue.code === "invalid_type" && issue.expected === "object" && path.length === 0) {
    message = "the file must be a mapping with a `services:` key";
  }
  return { ...locate(path, { key: params?.at === "key" }), message: `${where}${message}`, hint };
}
