/**
 * Renders the config file's template on a worker thread, for a running `up` (reload, --watch):
 * the render is bounded (src/template's limits) but may still take a second of CPU, and the run's
 * output, control socket and signals must not wait for it. One worker per render, ended when it
 * has answered or when the run stops (`stopRenders`).
 *
 * The worker runs this same module (the heavy bundle once built, the .ts file under tsx): the
 * check at the bottom makes it render and answer when it is loaded as a render worker.
 */
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";
import type { Diagnostic } from "../core/errors.js";
import { type RenderResult, renderTemplate, type TemplateContext } from "./template.js";

/** What a render worker is given. */
interface RenderJob {
  mirrordUpRender: true;
  source: string;
  context: TemplateContext;
  file: string;
  env: NodeJS.ProcessEnv;
}

/** The heap a render may use: past it the worker ends and the file is refused. */
const RENDER_HEAP_MB = 256;

const running = new Set<Worker>();

/**
 * Renders `source` off the main thread. The worker only renders: it never waits for a process
 * (a thread blocked in one would hold up the exit of mirrord-up).
 */
export function renderInWorker(
  source: string,
  context: TemplateContext,
  file: string,
  env: NodeJS.ProcessEnv,
): Promise<RenderResult> {
  const job: RenderJob = { mirrordUpRender: true, source, context, file, env: { ...env } };
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), {
      workerData: job,
      resourceLimits: { maxOldGenerationSizeMb: RENDER_HEAP_MB },
      stdout: false,
      stderr: false,
    });
    // A render never keeps mirrord-up alive.
    worker.unref();
    running.add(worker);
    let answered = false;
    worker.once("message", (result: RenderResult) => {
      answered = true;
      resolve(result);
      void worker.terminate();
    });
    worker.once("error", (error: Error & { code?: string }) => {
      answered = true;
      if (error.code === "ERR_WORKER_OUT_OF_MEMORY") {
        resolve(refused(file, `the template takes more than ${RENDER_HEAP_MB} MB of memory to render`));
      } else reject(error);
    });
    worker.once("exit", () => {
      running.delete(worker);
      if (!answered) reject(new Error("mirrord-up is stopping"));
    });
  });
}

/** Ends the renders under way (the run is stopping); their callers get an error. */
export function stopRenders(): void {
  for (const worker of running) void worker.terminate();
}

function refused(file: string, message: string): RenderResult {
  const diagnostic: Diagnostic = { file, line: 1, col: 1, message: `template error: ${message}` };
  return { ok: false, diagnostics: [diagnostic] };
}

function isRenderJob(data: unknown): data is RenderJob {
  return typeof data === "object" && data !== null && (data as RenderJob).mirrordUpRender === true;
}

if (!isMainThread && isRenderJob(workerData)) {
  const { source, context, file, env } = workerData;
  parentPort?.postMessage(renderTemplate(source, context, file, env));
}
