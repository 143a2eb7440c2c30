/**
 * Whole lines even when our own output stalls: a partial line is flushed on its own only when
 * its writer was really silent, never because mirrord-up stopped reading (backpressure) or was
 * short of CPU. Every service writes each line with one write(2), so any split line is ours.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { after, describe, it } from "node:test";
import { startUp } from "./helpers/up.js";

const SERVICES = 10;
const LINES = 20_000;
const PAYLOAD = "x".repeat(60);

/**
 * `blocks`: seq writes 4 KiB blocks, so a line is often cut between two writes microseconds apart
 * (and the writer blocks mid-line when we stop reading). `lines`: bash's printf writes each line
 * with a single write(2), so on a loaded machine any split is ours, not the writer's.
 */
function config(writes: "blocks" | "lines"): string {
  const entries = Array.from({ length: SERVICES }, (_, i) => {
    const name = `svc${i}`;
    const command =
      writes === "blocks"
        ? `[seq, -f, "${name} %g ${PAYLOAD}", "1", "${LINES}"]`
        : `[bash, -c, 'for ((i=1; i<=${LINES}; i++)); do printf "${name} %d ${PAYLOAD}\\\\n" $i; done']`;
    return `  ${name}:\n    run: {type: local, command: ${command}}\n`;
  });
  return `services:\n${entries.join("")}`;
}

/** Every application line is `name | name <n> payload`, each n once and in order per service. */
function brokenLines(stdout: string): string[] {
  const next = new Map<string, number>();
  const broken: string[] = [];
  for (const line of stdout.split("\n")) {
    const app = /^(svc\d+) +\| (.*)$/.exec(line);
    if (!app) continue;
    const [, name, text] = app as unknown as [string, string, string];
    const expected = next.get(name) ?? 1;
    if (text !== `${name} ${expected} ${PAYLOAD}`) {
      broken.push(line.slice(0, 120));
      continue;
    }
    next.set(name, expected + 1);
  }
  for (let i = 0; i < SERVICES; i++) {
    const got = (next.get(`svc${i}`) ?? 1) - 1;
    if (got !== LINES) broken.push(`svc${i}: ${got} of ${LINES} lines arrived whole and in order`);
  }
  return broken;
}

/** Keeps both cores busy for as long as the returned processes live. */
function burnBothCores(): ChildProcess[] {
  return [0, 1].map(() => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
}

const burners: ChildProcess[] = [];
after(() => {
  for (const b of burners) b.kill("SIGKILL");
});

async function runWithStallingReader(writes: "blocks" | "lines", pauses: number): Promise<string[]> {
  const run = startUp(config(writes), { args: ["--keep-going", "--no-color"] });
  await run.waitForOutput("starting 10 services");
  for (let i = 0; i < pauses; i++) {
    await new Promise((r) => setTimeout(r, 100));
    run.child.stdout?.pause();
    await new Promise((r) => setTimeout(r, 300));
    run.child.stdout?.resume();
  }
  const { code } = await run.exited;
  assert.equal(code, 0, run.stderr());
  return brokenLines(run.stdout().toString());
}

describe("whole lines while our output stalls", { timeout: 600_000 }, () => {
  it("a reader that pauses 0.3 s ten times gets every line whole, 3 runs at once", async () => {
    const rounds = await Promise.all([0, 1, 2].map(() => runWithStallingReader("blocks", 10)));
    for (const broken of rounds) assert.deepEqual(broken, []);
  });

  it("with both cores busy and a stalling reader, every line is whole", async () => {
    burners.push(...burnBothCores());
    try {
      assert.deepEqual(await runWithStallingReader("lines", 10), []);
    } finally {
      for (const b of burners.splice(0)) b.kill("SIGKILL");
    }
  });
});
