/**
 * Fills in the targets that the file leaves to the cluster (services without `target.path`).
 * The Kubernetes code is imported only when there is something to look up.
 */

import { saveTargetToFile } from "../config/save-target.js";
import { UserError } from "../core/errors.js";
import { PromptCancelled } from "../core/prompter.js";
import { replaceTargetProblem } from "../plan/assemble.js";
import { PlanError, type PlanProblem } from "../plan/problems.js";
import type { CliIO } from "./io.js";
import { type ConfigFlags, type Prepared, toUserError } from "./prepare.js";
import { inquirerPrompter } from "./prompter.js";

export interface ResolveFlags extends ConfigFlags {
  /** `--no-interactive`: never prompt, fail instead. */
  interactive: boolean;
}

/** True when questions can be asked: both ends are a terminal. */
export function canPrompt(io: CliIO, flags: { interactive: boolean }): boolean {
  return flags.interactive && io.stdin.isTTY === true && io.stderr.isTTY === true;
}

export async function resolveInferredTargets(
  prepared: Prepared,
  flags: ResolveFlags,
  io: CliIO,
): Promise<void> {
  const { plan, loaded } = prepared;
  const pending = plan.sessions.filter((s) => s.inferTarget);
  if (pending.length === 0) return;
  const { inferTargets, InferenceAbandoned } = await import("../kube/infer.js");
  const common = loaded.config.common ?? {};
  const requests = pending.map((s) => ({
    service: s.name,
    namespace: s.inferTarget?.namespace,
    context: s.context,
    contextSource: s.contextOrigin?.source ?? ("current-context" as const),
    contextPath: s.contextOrigin?.path,
  }));
  let found: Awaited<ReturnType<typeof inferTargets>>;
  try {
    found = await inferTargets(requests, {
      env: io.env,
      acceptInvalidCertificates: common.accept_invalid_certificates === true,
      prompter: canPrompt(io, flags) ? inquirerPrompter({ input: io.stdin, output: io.stderr }) : undefined,
      file: loaded.file,
      save: (service, target) => {
        try {
          saveTargetToFile(loaded.absolutePath, service, target);
          return undefined;
        } catch (error) {
          return (error as Error).message;
        }
      },
      report: (line) => io.stderr.write(`${line}\n`),
    });
  } catch (error) {
    if (error instanceof PlanError) throw toUserError(error, loaded);
    if (error instanceof InferenceAbandoned || error instanceof PromptCancelled) {
      throw new UserError({
        message: `stopped: ${error instanceof PromptCancelled ? "cancelled" : error.message}; nothing was started`,
      });
    }
    throw error;
  }
  const problems: PlanProblem[] = [];
  for (const session of pending) {
    const target = found.get(session.name);
    if (!target || !session.mirrordConfig) continue;
    const namespace = target.namespace ?? session.inferTarget?.namespace;
    session.mirrordConfig.target = { path: target.path, ...(namespace !== undefined && { namespace }) };
    session.inferTarget = undefined;
    // Upstream checks replace-mode compatibility after inference, too.
    const problem = session.mode === "replace" ? replaceTargetProblem(session.name, target.path) : undefined;
    if (problem) problems.push({ ...problem, path: ["services", session.name] });
  }
  if (problems.length > 0) throw toUserError(new PlanError(problems), loaded);
}
