// Runs the test files in two phases and reports them as one run, with one summary at the end
// (CI reads node's closing `# tests N`, `# pass N`, `# fail N`... lines; the exit code is 1 on
// any failed or cancelled test).
//   1. most files, CONCURRENCY at a time: they mostly wait on child processes, so on a 2-core
//      machine four at once finish in about half the time of one at a time;
//   2. SERIAL files, one at a time, with nothing else running: they burn both cores on purpose or
//      time signals and kills, and would flake, or slow every file beside them, under the load of
//      phase 1.
// Run with `node --import tsx scripts/test.mjs [file...]` (the children inherit `--import tsx`);
// without files, every test/*.test.ts. The report is node's spec on a terminal, TAP otherwise.
import { readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { pipeline } from "node:stream/promises";
import { run } from "node:test";
import { spec, tap } from "node:test/reporters";

const ROOT = resolve(import.meta.dirname, "..");
const CONCURRENCY = 4;
const SERIAL = new Set(
  [
    "run-no-orphan.test.ts", // random SIGKILLs during the start; pid reuse races
    "run-flood-memory.test.ts", // floods output and measures memory
    "run-stop-bounded.test.ts", // burns both cores and times the stop
    "run-partial-lines.test.ts", // burns both cores while a reader stalls
    "output-framer.test.ts", // big framing loops; a partial line's idle time
  ].map((name) => join(ROOT, "test", name)),
);

/**
 * Phase 1 starts these first, the longest files (the summary prints the current ten longest;
 * `TEST_DURATIONS=all` prints every file): started last, one of them would run on alone at the end.
 */
const LONG_FIRST = [
  "control-e2e.test.ts",
  "dashboard-browser.test.ts",
  "control-cli.test.ts",
  "secrets-in-errors.test.ts",
  "cli-completion.test.ts",
  "run-hold-the-line.test.ts",
  "lazy-loading.test.ts",
  "doctor-machine.test.ts",
].map((name) => join(ROOT, "test", name));
const longFirst = (a, b) => rank(a) - rank(b);
const rank = (file) => (LONG_FIRST.includes(file) ? LONG_FIRST.indexOf(file) : LONG_FIRST.length);

const asked = process.argv.slice(2).map((file) => resolve(file));
const files = asked.length
  ? asked
  : readdirSync(join(ROOT, "test"))
      .filter((name) => name.endsWith(".test.ts"))
      .sort()
      .map((name) => join(ROOT, "test", name));
const phases = [
  { files: files.filter((f) => !SERIAL.has(f)).sort(longFirst), concurrency: CONCURRENCY },
  { files: files.filter((f) => SERIAL.has(f)), concurrency: 1 },
].filter((phase) => phase.files.length > 0);

const SUMMARY = ["tests", "suites", "pass", "fail", "cancelled", "skipped", "todo"];
const totals = Object.fromEntries(SUMMARY.map((key) => [key, 0]));
/** How long each file took, to keep SERIAL and the phases right (printed before the summary). */
const fileDurations = [];
const walls = [];
const started = performance.now();

/** Both phases' events as one stream: top-level numbers run on, each phase's summary is summed. */
async function* events() {
  let numbered = 0;
  for (const [index, phase] of phases.entries()) {
    const phaseStarted = performance.now();
    let highest = 0;
    for await (const event of run({ files: phase.files, concurrency: phase.concurrency })) {
      const { type, data } = event;
      if (type === "test:plan" && data.nesting === 0) continue;
      if (type === "test:diagnostic" && data.nesting === 0 && data.file === undefined) {
        // A phase's closing summary line (`<key> <number>`): summed into one summary at the end.
        const [key, value] = data.message.split(" ");
        if (key in totals) totals[key] += Number(value);
        continue;
      }
      if (type === "test:complete" && data.nesting === 0 && files.includes(data.name))
        fileDurations.push([data.details.duration_ms, relative(ROOT, data.name)]);
      if (data?.nesting === 0 && typeof data.testNumber === "number") {
        highest = Math.max(highest, data.testNumber);
        yield { type, data: { ...data, testNumber: numbered + data.testNumber } };
        continue;
      }
      yield event;
    }
    numbered += highest;
    const seconds = ((performance.now() - phaseStarted) / 1000).toFixed(1);
    walls.push(
      `phase ${index + 1}: ${phase.files.length} files, ${phase.concurrency} at a time, ${seconds} s`,
    );
  }
  for (const wall of walls) yield diagnostic(wall);
  fileDurations.sort((a, b) => b[0] - a[0]);
  for (const [ms, file] of fileDurations.slice(0, process.env.TEST_DURATIONS === "all" ? undefined : 10))
    yield diagnostic(`${(ms / 1000).toFixed(1).padStart(6)} s  ${file}`);
  yield { type: "test:plan", data: { nesting: 0, count: numbered } };
  for (const key of SUMMARY) yield diagnostic(`${key} ${totals[key]}`);
  yield diagnostic(`duration_ms ${performance.now() - started}`);
}

function diagnostic(message) {
  return { type: "test:diagnostic", data: { nesting: 0, message } };
}

// process.stdout is never closed by the pipeline's end (node keeps it open).
await pipeline(events(), process.stdout.isTTY ? new spec() : tap, process.stdout);
process.exitCode = totals.fail + totals.cancelled > 0 ? 1 : 0;
