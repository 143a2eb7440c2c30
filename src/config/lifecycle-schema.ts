/**
 * The lifecycle fields of `mirrord-up.yaml` (restart, depends_on, one_shot, ready_when, env_file,
 * run.working_dir), written as compose writes them. Part of the one schema (`schema.ts`); values
 * that have a textual form (`on-failure:3`, `500ms`) are parsed here, so every later stage sees
 * plain numbers.
 */
import * as z from "zod/v4";
import { plainRustRegexProblem } from "../core/regex-engine.js";
import { parseDuration } from "../text/duration.js";

/** A restart policy, parsed. `maxRetries` undefined = no limit. */
export type RestartPolicy = { kind: "no" } | { kind: "always" } | { kind: "on-failure"; maxRetries?: number };

const RESTART_SYNTAX = "restart is no, on-failure, on-failure:N (N ≥ 1) or always";

/** `no`, `always`, `on-failure`, `on-failure:N`; undefined when it is none of them. */
export function parseRestartPolicy(text: string): RestartPolicy | undefined {
  if (text === "no") return { kind: "no" };
  if (text === "always") return { kind: "always" };
  if (text === "on-failure") return { kind: "on-failure" };
  const limited = /^on-failure:([1-9][0-9]{0,5})$/.exec(text);
  if (limited) return { kind: "on-failure", maxRetries: Number(limited[1]) };
  return undefined;
}

/** Back to the text of the file (for `config`). */
export function formatRestartPolicy(policy: RestartPolicy): string {
  if (policy.kind === "on-failure" && policy.maxRetries !== undefined)
    return `on-failure:${policy.maxRetries}`;
  return policy.kind;
}

const restartPolicy = z
  .string({ error: RESTART_SYNTAX })
  .transform((text, ctx) => {
    const policy = parseRestartPolicy(text);
    if (policy) return policy;
    const hint = /^unless-stopped$/.test(text)
      ? "mirrord-up runs no daemon that could restart it later: use always"
      : /^on-failure:/.test(text)
        ? "N is how many times to restart, a whole number from 1"
        : undefined;
    ctx.addIssue({ code: "custom", message: RESTART_SYNTAX, ...(hint && { params: { hint } }) });
    return z.NEVER;
  })
  .describe(
    "Restart the service when it ends: no (default), on-failure, on-failure:N (at most N times), always. " +
      "Backoff 1s doubling to 30s, reset after 10s of running",
  );

const duration = (what: string) =>
  z
    .union([z.string(), z.number()], { error: `${what} is a duration such as 500ms, 2s or 1m` })
    .transform((value, ctx) => {
      const ms = typeof value === "number" ? Math.round(value * 1000) : parseDuration(value);
      if (ms === undefined || !Number.isFinite(ms) || ms <= 0) {
        ctx.addIssue({
          code: "custom",
          message: `${what} is a positive duration such as 500ms, 2s or 1m (a bare number is seconds)`,
        });
        return z.NEVER;
      }
      return ms;
    });

const port = z
  .number({ error: "expected a port number" })
  .int({ error: "a port is a whole number" })
  .min(1, { error: "ports are 1-65535" })
  .max(65535, { error: "ports are 1-65535" });

const READINESS_KINDS = ["port", "http", "log", "command"] as const;

/** `ready_when`: one check, how often to try it, and how long before the service counts as failed. */
export const readyWhenSchema = z
  .strictObject({
    port: port.optional().describe("Ready when a TCP connection to 127.0.0.1:PORT succeeds"),
    http: z
      .url({ protocol: /^https?$/, error: "http is a URL such as http://127.0.0.1:8080/health" })
      .optional()
      .describe("Ready when a GET of this URL answers 2xx or 3xx (redirects are not followed)"),
    log: z
      .string()
      .superRefine((pattern, ctx) => {
        const problem = plainRustRegexProblem(pattern);
        if (problem) ctx.addIssue({ code: "custom", message: `invalid regular expression: ${problem}` });
      })
      .optional()
      .describe("Ready when a line of the service's output matches this regex (Rust syntax)"),
    command: z
      .array(z.string(), { error: "command is a list of strings, e.g. [pg_isready, -h, 127.0.0.1]" })
      .min(1, { error: "command is empty: give the program and its arguments" })
      .refine((argv) => argv[0] !== "", { error: "command starts with an empty program name" })
      .optional()
      .describe("Ready when this command (no shell, in the service's working_dir and environment) exits 0"),
    interval: duration("interval").optional().describe("How often to check (default 1s)"),
    timeout: duration("timeout")
      .optional()
      .describe("How long to wait before the service counts as failed (default 60s)"),
  })
  .superRefine((check, ctx) => {
    if (typeof check !== "object" || check === null) return;
    const set = READINESS_KINDS.filter((k) => check[k] !== undefined);
    if (set.length === 1) return;
    ctx.addIssue({
      code: "custom",
      ...(set.length > 1 && { path: [set[1] as string] }),
      message:
        set.length === 0
          ? "ready_when needs one check: port, http, log or command"
          : `ready_when sets both \`${set[0]}\` and \`${set[1]}\`; give one check`,
      params: { at: "key" },
    });
  })
  .describe("When the service counts as ready (after mirrord's own Ready! for mirrord sessions)");

const DEPENDENCY_CONDITIONS = ["service_started", "service_ready", "service_completed_successfully"] as const;
export type DependencyCondition = (typeof DEPENDENCY_CONDITIONS)[number];

/**
 * `depends_on`: a list of names, or a map of names to `{condition}` (compose's two forms). The
 * condition is checked after the union has picked the form, so that a wrong one is reported as
 * itself rather than as "neither form".
 */
export const dependsOnSchema = z
  .union(
    [
      z.array(z.string().min(1)).describe("Services to start first (condition service_started)"),
      z.record(
        z.string(),
        z.strictObject({
          condition: z
            .string()
            .meta({ enum: [...DEPENDENCY_CONDITIONS] })
            .optional()
            .describe(
              "service_started (default), service_ready (ready_when passed), service_completed_successfully (exited 0)",
            ),
        }),
      ),
    ],
    { error: "depends_on is a list of service names or a mapping of names to {condition: ...}" },
  )
  .superRefine((dependsOn, ctx) => {
    if (Array.isArray(dependsOn) || typeof dependsOn !== "object" || dependsOn === null) return;
    for (const [name, options] of Object.entries(dependsOn)) {
      const condition = options?.condition;
      if (condition === undefined || (DEPENDENCY_CONDITIONS as readonly string[]).includes(condition))
        continue;
      const close = condition === "service_healthy" ? "service_ready" : undefined;
      ctx.addIssue({
        code: "custom",
        path: [name, "condition"],
        message: `condition is ${DEPENDENCY_CONDITIONS.join(", ")}`,
        ...(close && { params: { hint: `did you mean "${close}"? (readiness is ready_when)` } }),
      });
    }
  })
  .transform((dependsOn) => dependsOn as string[] | Record<string, { condition?: DependencyCondition }>)
  .describe("Services to start (or finish) before this one; stopped after it");

export const oneShotSchema = z
  .boolean()
  .describe("A job (a migration): exit 0 does not stop the run, and counts as exited, not failed");

export const envFileSchema = z
  .string()
  .min(1, { error: "env_file is a path" })
  .describe(
    "A .env file (KEY=VALUE lines), relative to this file's directory. mirrord sessions: feature.env.env_file; local: loaded by mirrord-up",
  );

export const workingDirSchema = z
  .string()
  .min(1, { error: "working_dir is a path" })
  .describe(
    "The directory the command runs in, relative to this file's directory (default: the current directory)",
  );

export { restartPolicy as restartPolicySchema };
