/** `mirrord-up init [-o FILE]`: the interactive wizard, on a terminal only. */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { UserError } from "../core/errors.js";
import { readRegularFile } from "../core/files.js";
import { PromptCancelled, type Prompter } from "../core/prompter.js";
import type { ClusterChoices } from "../init/wizard.js";
import type { CliIO } from "./io.js";
import { inquirerPrompter } from "./prompter.js";
import { canPrompt } from "./resolve-targets.js";

/** The published schema of the installed package, for the editor comment (or its copy). */
export const SCHEMA_PATH = join(packageRoot(), "schema", "mirrord-up.schema.json");

/** This package's directory, from the running code (a bundle in dist/, or src/ under tsx). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, "utf8")).name === "mirrord-up") return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the mirrord-up package directory");
    dir = parent;
  }
}

export async function runInitCommand(output: string, io: CliIO, prompter?: Prompter): Promise<number> {
  if (!prompter && !canPrompt(io, { interactive: true })) {
    throw new UserError({
      message: "`mirrord-up init` asks questions, so it needs a terminal (stdin and stderr are not one here)",
      hint: "run it in a terminal, or write mirrord-up.yaml by hand (see `mirrord-up schema` and the README)",
    });
  }
  const { runInitWizard } = await import("../init/wizard.js");
  const say = (text: string) => io.stderr.write(`${text}\n`);
  try {
    await runInitWizard({
      prompter: prompter ?? inquirerPrompter({ input: io.stdin, output: io.stderr }),
      cwd: io.cwd,
      defaultOutput: output,
      schemaPath: SCHEMA_PATH,
      schemaText: () => readFileSync(SCHEMA_PATH, "utf8"),
      cluster: await reachableCluster(io),
      say,
      exists: (path) => existsSync(resolve(io.cwd, path)),
      read: (path) => {
        try {
          // Bounded, and never a FIFO's endless wait.
          return readRegularFile(resolve(io.cwd, path), 4 * 1024 * 1024).toString("utf8");
        } catch {
          return undefined;
        }
      },
      write: (path, text) => writeFileSync(resolve(io.cwd, path), text, { flag: "w" }),
    });
    return 0;
  } catch (error) {
    if (error instanceof PromptCancelled) {
      say("init cancelled; nothing was written.");
      return 0;
    }
    throw error;
  }
}

/** The current context's cluster, if it answers quickly; otherwise targets are typed in. */
async function reachableCluster(io: CliIO): Promise<ClusterChoices | undefined> {
  try {
    const { loadKubeconfig, resolveContext } = await import("../kube/kubeconfig.js");
    const { ClusterClient } = await import("../kube/cluster.js");
    const merged = await loadKubeconfig(io.env);
    const context = await resolveContext(merged, { source: "current-context" }, false);
    const client = await ClusterClient.create(context, 3000);
    const namespaces = await client.listNamespaces();
    return {
      context: context.name,
      namespaces: async () => namespaces,
      workloads: (ns) => client.listWorkloads(ns),
    };
  } catch (error) {
    io.stderr.write(
      `No cluster to pick targets from (${(error as Error).message}); targets will be typed in.\n`,
    );
    return undefined;
  }
}
