/**
 * `mirrord-up route`: asks the running `up` for the file when there is one (its key, its live
 * configs), else reads the file itself; prints the answer per service, or the JSON of it.
 */
import { NotRunningError } from "../control/client.js";
import { ExitCode, UserError } from "../core/errors.js";
import type { Mode } from "../plan/assemble.js";
import type { RouteAnswer } from "../plan/route.js";
import type { RouteQuery } from "../plan/route-plan.js";
import { connect } from "./control-commands.js";
import { type CliIO, writeOutput } from "./io.js";
import type { ConfigFlags } from "./prepare.js";
import { parseRouteArgs } from "./route-request.js";

export interface RouteFlags extends ConfigFlags {
  header: string[];
  port?: number;
  operator?: boolean;
  format: "text" | "json";
  mode?: Mode;
}

export async function runRouteCommand(
  flags: RouteFlags,
  args: readonly string[],
  io: CliIO,
): Promise<number> {
  const parsed = parseRouteArgs(args, flags.header);
  const query: RouteQuery = {
    services: parsed.services,
    request: parsed.request,
    ...((flags.port ?? parsed.urlPort) !== undefined && { port: flags.port ?? parsed.urlPort }),
    ...(flags.operator !== undefined && { operator: flags.operator }),
  };
  const { answer, from } = await ask(flags, query, io);
  if (flags.format === "json") {
    await writeOutput(io.stdout, `${JSON.stringify({ from, request: query.request, ...answer }, null, 2)}\n`);
  } else {
    await writeOutput(io.stdout, renderRoute(query, answer, from));
  }
  return ExitCode.ok;
}

/** The running `up`'s answer, or, when none runs for the file, the file's. */
async function ask(
  flags: RouteFlags,
  query: RouteQuery,
  io: CliIO,
): Promise<{ answer: RouteAnswer; from: "running up" | "file" }> {
  try {
    const client = await connect(flags, io);
    await client.get("/v1/info");
    if (flags.mode !== undefined) {
      throw new UserError({
        message: "-m applies to the file; the running up's sessions keep the modes they started with",
        hint: "leave out -m, or end the run (`mirrord-up down`) to ask about the file",
      });
    }
    const { body } = await client.post("/v1/route", {
      services: [...query.services],
      method: query.request.method,
      target: query.request.target,
      headers: query.request.headers.map((h) => ({ ...h })),
      ...(query.port !== undefined && { port: query.port }),
      ...(query.operator !== undefined && { operator: query.operator }),
    });
    return { answer: body, from: "running up" };
  } catch (error) {
    if (!(error instanceof NotRunningError)) throw error;
  }
  const { routeFromFile } = await import("./heavy.js");
  return { answer: routeFromFile(flags, query, io), from: "file" };
}

const VERDICT_WORDS = { steals: "steals", passes: "passes", "cannot-tell": "cannot tell" } as const;

/** The answer as text: per service its verdict and reasons, each with the source line it follows. */
function renderRoute(query: RouteQuery, answer: RouteAnswer, from: string): string {
  const cite = (source: string) => `[${source.replace(/^mirrord\//, "")}]`;
  const { request } = query;
  const lines = [
    `${request.method} ${request.target}${request.headers.map((h) => `\n  ${h.name}: ${h.value}`).join("")}`,
    `(decided from the ${from}, as mirrord 3.250.0's agent decides; sources under mirrord/ in metalbear-co/mirrord)`,
    "",
  ];
  const width = Math.max(...answer.services.map((s) => s.service.length));
  for (const s of answer.services) {
    const port = s.port === undefined ? "" : ` port ${s.port}`;
    lines.push(`${s.service.padEnd(width)}  ${VERDICT_WORDS[s.verdict]}  (${s.target}${port})`);
    for (const r of s.reasons) lines.push(`    ${r.text} ${cite(r.source)}`);
  }
  if (answer.conflicts.length > 0) {
    lines.push("", "conflicts:");
    for (const c of answer.conflicts) lines.push(`  ${c.text} ${cite(c.source)}`);
  }
  lines.push("", answer.summary, "");
  return lines.join("\n");
}
