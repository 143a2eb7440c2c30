/** `mirrord-up config`, `validate` and `schema`: show what would run without running it. */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { stringify } from "yaml";
import { upConfigJsonSchema } from "../config/schema.js";
import type { RunPlan, SessionPlan } from "../plan/assemble.js";
import { renderMirrordJson } from "../plan/mirrord-json.js";
import type { CliIO } from "./io.js";
import { type ConfigFlags, prepare } from "./prepare.js";
import { type ResolveFlags, resolveInferredTargets } from "./resolve-targets.js";

export interface ConfigCommandFlags extends ResolveFlags {
  format: "yaml" | "json";
  outputDir?: string;
  /** `--no-resolve`: do not ask the cluster; inferred targets are shown as pending. */
  resolve: boolean;
}

/** The document `config` prints: one entry per selected service. */
export function describePlan(plan: RunPlan): Record<string, unknown> {
  const services: Record<string, unknown> = {};
  for (const session of plan.sessions) services[session.name] = describeSession(session);
  return { key: plan.key, services };
}

function describeSession(session: SessionPlan): Record<string, unknown> {
  if (session.type === "local") {
    return {
      type: "local",
      command: session.command,
      ...(Object.keys(session.env).length > 0 && { env: session.env }),
    };
  }
  return {
    type: session.type,
    command: session.command,
    // Until the cluster is asked (the Kubernetes step), an omitted path is shown as pending.
    ...(session.inferTarget && { infer_target: true }),
    config: session.mirrordConfig,
  };
}

export async function runConfigCommand(
  flags: ConfigCommandFlags,
  services: string[],
  io: CliIO,
): Promise<number> {
  const prepared = prepare(flags, services, io);
  const { plan } = prepared;
  if (flags.resolve) await resolveInferredTargets(prepared, flags, io);
  printWarnings(plan, io);
  if (flags.outputDir) {
    const dir = resolve(io.cwd, flags.outputDir);
    mkdirSync(dir, { recursive: true });
    let written = 0;
    for (const session of plan.sessions) {
      if (!session.mirrordConfig) continue;
      const file = join(dir, `${session.name}.json`);
      // The same bytes `up` hands to mirrord; private because env overrides may hold secrets.
      writeFileSync(file, renderMirrordJson(session.mirrordConfig), { mode: 0o600 });
      chmodSync(file, 0o600);
      written++;
    }
    io.stderr.write(`wrote ${written} mirrord config file${written === 1 ? "" : "s"} to ${dir}\n`);
    return 0;
  }
  const document = describePlan(plan);
  io.stdout.write(
    flags.format === "json"
      ? `${JSON.stringify(document, null, 2)}\n`
      : stringify(document, { lineWidth: 0 }),
  );
  return 0;
}

export function runValidateCommand(flags: ConfigFlags, io: CliIO): number {
  const { loaded, plan } = prepare(flags, [], io);
  printWarnings(plan, io);
  const all = Object.keys(loaded.config.services).sort();
  const skipped = all.filter((name) => !plan.sessions.some((s) => s.name === name));
  const names = plan.sessions.map((s) => s.name).join(", ");
  io.stdout.write(
    `${loaded.file}: ok, ${plan.sessions.length} service${plan.sessions.length === 1 ? "" : "s"} to run (${names})` +
      `${skipped.length ? `, ${skipped.length} skipped (${skipped.join(", ")})` : ""}, key ${JSON.stringify(plan.key)}\n`,
  );
  return 0;
}

export function runSchemaCommand(io: CliIO): number {
  io.stdout.write(`${JSON.stringify(upConfigJsonSchema(), null, 2)}\n`);
  return 0;
}

function printWarnings(plan: RunPlan, io: CliIO): void {
  for (const w of plan.warnings) io.stderr.write(`warning: ${w.service}: ${w.message}\n`);
}
