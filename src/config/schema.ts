/**
 * The one definition of `mirrord-up.yaml`: TypeScript types (`z.input`), validation, and the
 * published JSON Schema (`mirrord-up schema`) all come from here. Every object is strict, so a
 * misspelt key is an error everywhere, including inside `env` and `http_filter`.
 *
 * Defaults are not applied here; the plan step applies them, so that it can tell "not written"
 * from "written with the default value" (a `run.type: local` service must not set mirrord fields).
 */
import * as z from "zod/v4";
import {
  dependsOnSchema,
  envFileSchema,
  oneShotSchema,
  readyWhenSchema,
  restartPolicySchema,
  workingDirSchema,
} from "./lifecycle-schema.js";
import { checkFancyRegex, checkRustRegex } from "./rust-regex.js";
import { parseTargetPath } from "./target-path.js";
import { EMPTY_KEY_META, type EmptyKeyReading } from "./yaml-data.js";

/** A kube context's name: `context: ""` would name none. */
const kubeContext = z.string().min(1, { error: "an empty context names none; leave it out for the default" });

/** Characters allowed in service names: they become file names and output prefixes. */
export const SERVICE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
export const SERVICE_NAME_RULE =
  "service names are 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit";

/**
 * Marks how upstream reads the key when it is written with nothing after it (see
 * `EMPTY_KEY_META`); an unmarked optional key is upstream's `Option<T>`: empty means not set.
 */
const whenEmpty = (reading: EmptyKeyReading) => ({ [EMPTY_KEY_META]: reading });

/**
 * Zod skips refinements once a value has other issues; these checks read only keys that are
 * known to exist, so they run anyway and every problem is reported in one pass.
 */
const ALWAYS = { when: () => true };

/**
 * A port as mirrord reads one (`u16`). 0 is a port too: mirrord compares `ignore_ports` with the
 * port an application asks to bind, so `0` leaves alone listeners on a port the system picks.
 */
const port = z
  .number({ error: "expected a port number" })
  .int({ error: "a port is a whole number" })
  .min(0, { error: "ports are 0-65535" })
  .max(65535, { error: "ports are 0-65535" });

/**
 * Reports a pattern mirrord would not compile: at the checked value, or `path` inside it (its
 * key rather than its value when `at` is "key").
 */
function regexIssue(ctx: z.RefinementCtx, problem: string, path?: PropertyKey[], at?: "key"): void {
  ctx.addIssue({
    code: "custom",
    message: `invalid regular expression: ${problem}`,
    ...(path && { path }),
    ...(at && { params: { at } }),
  });
}

/** A regex as mirrord compiles it (fancy-regex, case-insensitive). */
const rustRegex = z.string().superRefine((pattern, ctx) => {
  const problem = checkRustRegex(pattern);
  if (problem) regexIssue(ctx, problem);
});

/** A regex mirrord compiles as written, without `(?i)` (fancy-regex): a body filter's `matches`. */
const fancyRegex = z.string().superRefine((pattern, ctx) => {
  const problem = checkFancyRegex(pattern);
  if (problem) regexIssue(ctx, problem);
});

/** mirrord's `VecOrSingle<String>`: `"A;B"` or `[A, B]`. */
const stringOrList = z.union([z.string(), z.array(z.string())], {
  error: "expected a string or a list of strings",
});

/** Why `name` cannot be an environment variable's name, or undefined when it can. */
function envNameProblem(name: string): string | undefined {
  if (name === "") return "an environment variable name cannot be empty";
  if (name.includes("=")) return `invalid environment variable name "${name}": a name cannot contain "="`;
  return undefined;
}

/**
 * Variable names (`unset`) or name globs (`include`, `exclude`), as a `"A;B"` string or a list:
 * each must be a possible name, or mirrord would set `A=B=x` or match nothing.
 */
const envNames = stringOrList.superRefine((value, ctx) => {
  const names = typeof value === "string" ? value.split(";") : value;
  for (const [index, name] of names.entries()) {
    const problem = envNameProblem(name);
    if (!problem) continue;
    ctx.addIssue({
      code: "custom",
      ...(typeof value !== "string" && { path: [index] }),
      message: typeof value === "string" && name === "" ? `${problem} (between two ";")` : problem,
    });
  }
});

/** A variable's name: not empty, no `=` (it would reach the program as `A=B=x`). */
const envName = z
  .string()
  .min(1, { error: "an environment variable name cannot be empty" })
  .regex(/^[^=]*$/, {
    error: (issue) => envNameProblem(String(issue.input)) ?? "invalid environment variable name",
  });

/**
 * Environment values are text. The loader hands over a plain scalar as written (`1.10`, `01234`
 * and `True` stay exactly that); numbers and booleans are still accepted for data that does not
 * come from a file, and for editors, which read `PORT: 8080` as a number.
 */
const envValue = z
  .union([z.string(), z.number(), z.boolean()], { error: "expected a string" })
  .transform(String);
const envMap = z.record(envName, envValue);
/**
 * `mapping` keys are regexes over names, not names: `=` may appear in them. mirrord compiles each
 * as written (fancy-regex, no `(?i)`), so one that does not compile is reported at its key.
 */
const envMappingMap = z.record(z.string(), envValue).superRefine((mapping, ctx) => {
  for (const pattern of Object.keys(mapping)) {
    const problem = checkFancyRegex(pattern);
    if (problem) regexIssue(ctx, problem, [pattern], "key");
  }
});

/** `services.<name>.env`, written 1:1 to `feature.env` (mirrord's EnvFileConfig). */
const envSchema = z
  .strictObject({
    include: envNames.optional().describe("feature.env.include: remote variables to load (globs)"),
    exclude: envNames.optional().describe("feature.env.exclude: remote variables not to load (globs)"),
    override: envMap.optional().describe("feature.env.override: variables set for the local process"),
    load_from_process: z.boolean().optional().describe("feature.env.load_from_process"),
    unset: envNames.optional().describe("feature.env.unset: variables removed from the local process"),
    env_file: z.string().optional().describe("feature.env.env_file: a .env file to load"),
    mapping: envMappingMap.optional().describe("feature.env.mapping: regex on names -> replacement value"),
  })
  .superRefine((env, ctx) => {
    if (typeof env !== "object" || env === null) return;
    if (env.include !== undefined && env.exclude !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["exclude"],
        message: "env sets both `include` and `exclude`; mirrord accepts one of them",
        params: { hint: "keep include (the variables to load) or exclude (the ones not to load)", at: "key" },
      });
    }
  }, ALWAYS)
  .describe("Maps 1:1 to feature.env in mirrord.json");

const innerFilter = z
  .union(
    [
      z.strictObject({ header: rustRegex }),
      z.strictObject({ path: rustRegex }),
      z.strictObject({ method: z.string() }),
      z.strictObject({ query: z.string() }),
      z.strictObject({ body: z.literal("json"), query: z.string(), matches: z.string() }),
    ],
    {
      error:
        "each all_of/any_of entry is one of {header: REGEX}, {path: REGEX}, {method: M}, {query: Q} " +
        "or {body: json, query: Q, matches: M}",
    },
  )
  .superRefine((entry, ctx) => {
    // Checked once the entry is known to be a body filter: inside the union, a failed `matches`
    // would read as "not one of the entry kinds" (the `{query}` kind half-matches it too).
    if (!("matches" in entry)) return;
    const problem = checkFancyRegex(entry.matches);
    if (problem) regexIssue(ctx, problem, ["matches"]);
  });

const bodyFilter = z.strictObject({ body: z.literal("json"), query: z.string(), matches: fancyRegex });

/** The keys of `http_filter` that each select a kind of filter; mirrord accepts one at a time. */
export const HTTP_FILTER_KINDS = [
  "header_filter",
  "path_filter",
  "method_filter",
  "body_filter",
  "header_filter_jq",
  "all_of",
  "any_of",
] as const;

/** `services.<name>.http_filter`, written 1:1 to `feature.network.incoming.http_filter`. */
const httpFilterSchema = z
  .strictObject({
    header_filter: rustRegex.optional().describe("Regex on 'name: value' of each request header"),
    path_filter: rustRegex.optional().describe("Regex on the request path"),
    method_filter: z.string().optional().describe("HTTP method to steal"),
    body_filter: bodyFilter.optional().describe("JSON body filter: {body: json, query, matches}"),
    header_filter_jq: z.string().optional().describe("jq filter over the headers"),
    all_of: z
      .array(innerFilter)
      .min(1, { error: "all_of is empty: mirrord would steal every request" })
      .optional()
      .describe("Steal requests matching every entry"),
    any_of: z
      .array(innerFilter)
      .min(1, { error: "any_of is empty: mirrord would steal no request" })
      .optional()
      .describe("Steal requests matching any entry"),
    ports: z
      .union([port, z.array(port)])
      .optional()
      .describe("Ports the filter applies to (default: all)"),
  })
  .superRefine((filter, ctx) => {
    const set = HTTP_FILTER_KINDS.filter((k) => filter[k] !== undefined);
    if (set.length > 1) {
      ctx.addIssue({
        code: "custom",
        path: [set[1] as string],
        message: `http_filter sets both \`${set[0]}\` and \`${set[1]}\`; mirrord accepts one filter kind`,
        params: { hint: "combine them with all_of: [{header: ...}, {path: ...}]" },
      });
    }
  })
  .describe("Maps 1:1 to feature.network.incoming.http_filter (split mode only)");

const targetPath = z
  .string({ error: "expected a target path such as deployment/api" })
  .superRefine((path, ctx) => {
    if (path === "targetless") {
      ctx.addIssue({
        code: "custom",
        message: "`path: targetless` makes mirrord reject stealing",
        params: { hint: "write `target: none` to run without a target" },
      });
      return;
    }
    const parsed = parseTargetPath(path);
    if (!parsed.ok) ctx.addIssue({ code: "custom", message: parsed.error });
  })
  .describe(
    "kind/name[/container/c], kind one of deployment, pod, rollout, job, cronjob, statefulset, service, replicaset",
  );

/** `services.<name>.target`: `none`, a mapping, or omitted (inferred from the cluster). */
const targetSchema = z.union(
  [
    z.literal("none").describe("No target (targetless): outgoing traffic only"),
    z.strictObject({
      path: targetPath
        .optional()
        .describe("target.path; omitted = look the service name up in the cluster")
        .meta(whenEmpty("invalid")),
      namespace: z
        .string()
        .min(1, { error: "an empty namespace names none; leave it out for the context's default" })
        .optional()
        .describe("target.namespace; omitted = the context's default"),
    }),
    z.null(),
  ],
  { error: "expected `none`, a mapping {path, namespace}, or nothing at all" },
);

/** Queue kinds for `messages: [..]`, as written in mirrord-up.yaml -> mirrord's `queue_type`. */
export const QUEUE_KINDS = {
  sqs: "SQS",
  kafka: "Kafka",
  gcp_pubsub: "GCPPubSub",
  azure_service_bus: "AzureServiceBus",
  redis_pubsub: "RedisPubSub",
  temporal: "Temporal",
  bullmq: "BullMQ",
} as const;

export type QueueKindName = keyof typeof QUEUE_KINDS;

const queueKind = z.enum(Object.keys(QUEUE_KINDS) as [QueueKindName, ...QueueKindName[]], {
  error: `queue kinds are ${Object.keys(QUEUE_KINDS).join(", ")}`,
});

const queueFilterFields = {
  queue_mode: z.enum(["steal", "mirror"]).optional(),
  jq_filter: z.string().optional(),
  message_filter: z.record(z.string(), z.string()).optional(),
};

/** One entry of the mapping form of `messages`, passed 1:1 to `feature.split_queues`. */
const queueSplitEntry = z.union(
  [
    z.strictObject({
      queue_type: z.enum(["SQS", "GCPPubSub", "RedisPubSub", "AzureServiceBus", "Temporal", "BullMQ"]),
      ...queueFilterFields,
    }),
    z.strictObject({
      queue_type: z.literal("Kafka"),
      ...queueFilterFields,
      payload_protobuf: z
        .strictObject({
          message_type: z.string(),
          descriptor_base64: z.string().optional(),
          schema_file: z.string().optional(),
          include_directories: z.array(z.string()).optional(),
        })
        .optional(),
    }),
    z.strictObject({
      queue_type: z.literal("RMQ"),
      queue_mode: z.enum(["steal", "mirror"]).optional(),
      message_filter: z.record(z.string(), z.string()),
    }),
  ],
  {
    error:
      "a split_queues entry needs queue_type (SQS, Kafka, RMQ, GCPPubSub, AzureServiceBus, RedisPubSub, Temporal, BullMQ) and its filter",
  },
);

/** `services.<name>.messages`: queue splitting, opt-in. */
const messagesSchema = z
  .union(
    [
      z.literal("auto").describe("Every queue kind, filtered on the session key (upstream's wildcard)"),
      z.array(queueKind).min(1).describe("Only these queue kinds, filtered on the session key"),
      z.record(z.string(), queueSplitEntry).describe("Passed 1:1 as feature.split_queues"),
    ],
    { error: "expected `auto`, a list of queue kinds, or a mapping of queue ids to split_queues entries" },
  )
  .describe("Queue splitting (feature.split_queues); absent = none");

/** `services.<name>.run`: what to run and how. */
const runSchema = z
  .strictObject({
    type: z
      .enum(["exec", "container", "local"], { error: "run.type is exec, container or local" })
      .optional()
      .describe("exec (default): mirrord exec; container: mirrord container; local: no mirrord")
      .meta(whenEmpty("invalid")),
    command: z
      .array(z.string(), { error: "run.command is a list of strings, e.g. [node, app.js]" })
      .min(1, { error: "run.command is empty: give the program and its arguments, e.g. [node, app.js]" })
      .refine((argv) => argv[0] !== "", { error: "run.command starts with an empty program name" })
      .describe("The program and its arguments, run without a shell"),
    working_dir: workingDirSchema.optional(),
  })
  .describe("The command to run");

/** Fields that only make sense under mirrord; a `run.type: local` service may not set them. */
const MIRRORD_ONLY_FIELDS = [
  "target",
  "default_mode",
  "http_filter",
  "ignore_ports",
  "messages",
  "context",
] as const;

/** `services.<name>`. */
const serviceSchema = z
  .strictObject({
    target: targetSchema.optional().describe("The workload to connect to (target in mirrord.json)"),
    env: envSchema.optional().meta(whenEmpty("default")),
    default_mode: z
      .enum(["split", "replace"], { error: "default_mode is split or replace" })
      .optional()
      .describe("split (default): steal matching requests; replace: copy the target and scale it down")
      .meta(whenEmpty("invalid")),
    http_filter: httpFilterSchema.optional().meta(whenEmpty("default")),
    ignore_ports: z
      .array(port)
      .optional()
      .describe("feature.network.incoming.ignore_ports (sorted, de-duplicated)")
      .meta(whenEmpty("default")),
    skip: z
      .boolean()
      .optional()
      .describe("Leave this service out unless it is named on the command line")
      .meta(whenEmpty("invalid")),
    context: kubeContext.optional().describe("kube_context for this service (beats common.context)"),
    messages: messagesSchema.optional(),
    run: runSchema,
    restart: restartPolicySchema.optional(),
    depends_on: dependsOnSchema.optional(),
    one_shot: oneShotSchema.optional(),
    ready_when: readyWhenSchema.optional(),
    env_file: envFileSchema.optional(),
  })
  .superRefine((service, ctx) => {
    if (typeof service !== "object" || service === null) return;
    if (
      service.env_file !== undefined &&
      typeof service.env === "object" &&
      service.env?.env_file !== undefined
    ) {
      ctx.addIssue({
        code: "custom",
        path: ["env", "env_file"],
        message: "both `env_file` and `env.env_file` are set; give the file once",
        params: {
          hint: "keep env_file (relative to this file, checked before starting); env.env_file is passed to mirrord as written",
          at: "key",
        },
      });
    }
    if (service.run?.type !== "local") return;
    for (const field of MIRRORD_ONLY_FIELDS) {
      if (service[field] !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: [field],
          message: `\`${field}\` has no effect on a \`run.type: local\` service, which runs without mirrord`,
          params: { hint: "remove it, or use run.type exec" },
        });
      }
    }
    const env = typeof service.env === "object" && service.env !== null ? service.env : {};
    for (const field of Object.keys(env)) {
      if (field !== "override") {
        ctx.addIssue({
          code: "custom",
          path: ["env", field],
          message: `\`env.${field}\` needs mirrord; a \`run.type: local\` service takes only env.override`,
          ...(field === "env_file" && {
            params: { hint: "use `env_file:` on the service, which local services load too" },
          }),
        });
      }
    }
  }, ALWAYS)
  .describe("One mirrord session");

/** `common`: options applied to every service. */
const commonSchema = z
  .strictObject({
    accept_invalid_certificates: z
      .boolean()
      .optional()
      .describe("accept_invalid_certificates in mirrord.json"),
    operator: z.boolean().optional().describe("operator in mirrord.json"),
    telemetry: z.boolean().optional().describe("telemetry in mirrord.json"),
    context: kubeContext.optional().describe("kube_context for every service"),
    restart: restartPolicySchema.optional(),
    env_file: envFileSchema.optional(),
  })
  .describe("Options applied to every service");

/** The whole of `mirrord-up.yaml`. */
export const upConfigSchema = z
  .strictObject({
    common: commonSchema.optional().meta(whenEmpty("default")),
    services: z
      .record(z.string(), serviceSchema, { error: "services is a mapping of service names to services" })
      .superRefine((services, ctx) => {
        if (typeof services !== "object" || services === null) return;
        const names = Object.keys(services);
        if (names.length === 0)
          ctx.addIssue({ code: "custom", message: "services is empty: add at least one service" });
        for (const name of names) {
          if (!SERVICE_NAME_PATTERN.test(name)) {
            // Checked here rather than as the record's key schema so that the service's body is
            // still validated and every problem is reported in one run.
            ctx.addIssue({
              code: "custom",
              path: [name],
              message: `invalid service name "${name}": ${SERVICE_NAME_RULE}`,
              params: { at: "key" },
            });
          }
        }
      }, ALWAYS)
      .describe("Service name -> service"),
  })
  .describe("mirrord-up.yaml: several mirrord sessions in one file");

/** The validated file, defaults not yet applied. */
export type UpConfig = z.output<typeof upConfigSchema>;
export type ServiceConfig = z.output<typeof serviceSchema>;
export type CommonConfig = z.output<typeof commonSchema>;
export type HttpFilterConfig = z.output<typeof httpFilterSchema>;

let cachedJsonSchema: Record<string, unknown> | undefined;

/** The JSON Schema (draft-07, what editors support) of `mirrord-up.yaml`. */
export function upConfigJsonSchema(): Record<string, unknown> {
  cachedJsonSchema ??= {
    ...z.toJSONSchema(upConfigSchema, { target: "draft-7", io: "input" }),
    title: "mirrord-up.yaml",
  };
  return cachedJsonSchema;
}
