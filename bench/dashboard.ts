/**
 * How the dashboard holds up under a flood: 50 services logging 10,000 lines/s in total, the
 * dashboard open in headless chromium, compared with the same 50 services quiet (the peer in the
 * same run). Records in the page: frame intervals (requestAnimationFrame), long tasks (>50 ms),
 * and how late a 100 ms timer fires (the page's event loop); and how far the page's newest line
 * lags behind what a service wrote. Never run by CI.
 *
 *   npm run build && node --import tsx bench/dashboard.ts [--seconds 15]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { chromiumOptions } from "../test/helpers/chromium.js";
import { killMarked, MARKER_VAR, MIRRORD_UP } from "./lib.js";

const SERVICES = 50;
/** Lines per burst and bursts per second per service: 50 × 20 × 10 = 10,000 lines/s. */
const BURST = 20;
const seconds = Number(process.argv[process.argv.indexOf("--seconds") + 1]) || 15;

interface PageStats {
  frames: number[];
  longTasks: number[];
  timerLate: number[];
}

interface Result {
  label: string;
  fps: number;
  frameP50: number;
  frameP95: number;
  frameP99: number;
  frameMax: number;
  slowFrames: number;
  longTaskMs: number;
  timerLateP95: number;
  timerLateMax: number;
  lagLines?: number;
  /** Main-thread ms per second: all tasks, script, layout + style. */
  taskMs: number;
  scriptMs: number;
  layoutMs: number;
}

/** `services` services (svc00, svc01, …); `flood`: each prints `burst` lines ten times a second. */
export function config(flood: boolean, services = SERVICES, burst = BURST): string {
  const lines = ["services:"];
  for (let i = 0; i < services; i++) {
    const name = `svc${String(i).padStart(2, "0")}`;
    // Builtins only (no `sleep`, no `seq`: 500 forks a second would measure the machine, not the
    // page): `read -t` on a pipe that never speaks waits 0.1 s; one printf writes a burst.
    const command = flood
      ? `exec 9< <(exec sleep 3600); n=0; while :; do read -t 0.1 -u 9; printf '${name} line %s \\033[3${i % 7}mcoloured\\033[0m text of a typical log line with some words\\n' "$n."{00..${burst - 1}}; n=$((n+1)); done`
      : "exec sleep 3600";
    lines.push(`  ${name}:`, `    run: {type: local, command: [bash, -c, ${JSON.stringify(command)}]}`);
  }
  return `${lines.join("\n")}\n`;
}

async function measure(flood: boolean): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), "mirrord-up-bench-dashboard-"));
  writeFileSync(join(dir, "mirrord-up.yaml"), config(flood));
  const marker = `${flood ? "flood" : "quiet"}-${process.pid}`;
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: dir, [MARKER_VAR]: marker };
  const up: ChildProcess = spawn(process.execPath, [MIRRORD_UP, "up", "--dashboard", "-k", "bench"], {
    cwd: dir,
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  // The terminal output is read (and dropped) as a terminal would, so `up` is never held back.
  let head = "";
  const url = await new Promise<string>((resolve, reject) => {
    up.stdout?.on("data", (chunk: Buffer) => {
      if (head.length < 100_000) head += chunk.toString();
      const match = /^dashboard: (\S+)$/m.exec(head);
      if (match) resolve(match[1] as string);
    });
    up.on("exit", () => reject(new Error(`up exited:\n${head}`)));
  });
  const { browser, page } = await openDashboard(url, marker, SERVICES);
  try {
    // In-page code as text: the page has its own globals, and tsx's helpers do not exist there.
    await page.evaluate(`(() => {
      const stats = { frames: [], longTasks: [], timerLate: [] };
      window.benchStats = stats;
      let last = performance.now();
      const frame = (now) => { stats.frames.push(now - last); last = now; requestAnimationFrame(frame); };
      requestAnimationFrame(frame);
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) stats.longTasks.push(entry.duration);
      }).observe({ type: "longtask" });
      let expected = performance.now() + 100;
      const tick = () => {
        const now = performance.now();
        stats.timerLate.push(Math.max(0, now - expected));
        expected = now + 100;
        setTimeout(tick, 100);
      };
      setTimeout(tick, 100);
    })()`);
    // The renderer's main-thread time by kind (CPU-ish: less swayed by a busy machine than frames).
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Performance.enable");
    const metrics = async () =>
      Object.fromEntries(
        (
          (await cdp.send("Performance.getMetrics")) as { metrics: { name: string; value: number }[] }
        ).metrics.map((m) => [m.name, m.value]),
      ) as Record<string, number>;
    const m0 = await metrics();
    await page.waitForTimeout(seconds * 1000);
    const m1 = await metrics();
    const perSecond = (name: string) => (((m1[name] ?? 0) - (m0[name] ?? 0)) * 1000) / seconds;
    const stats = await page.evaluate<PageStats>("window.benchStats");
    // How far behind the page is: svc00's newest line in the page vs. in `up`'s own output.
    let lagLines: number | undefined;
    if (flood) {
      const shown = await page.evaluate<number>(`Math.max(...[...document.querySelectorAll("#log .l")]
        .map((l) => /svc\\d\\d line (\\d+)\\./.exec(l.textContent ?? ""))
        .filter(Boolean)
        .map((m) => Number(m[1])))`);
      const logs = spawn(process.execPath, [MIRRORD_UP, "logs", "-n", "1", "svc00", "--no-color"], {
        cwd: dir,
        env,
      });
      let text = "";
      logs.stdout.on("data", (c: Buffer) => {
        text += c.toString();
      });
      await new Promise((r) => logs.on("close", r));
      const latest = Number(/line (\d+)\./.exec(text)?.[1]);
      // Bursts: `shown` is the newest of any service; svc00's count is close to the others'.
      lagLines = Math.max(0, latest - shown) * BURST;
    }
    const frames = stats.frames.slice(1);
    return {
      label: flood ? "10,000 lines/s" : "quiet",
      fps: frames.length / seconds,
      frameP50: percentile(frames, 50),
      frameP95: percentile(frames, 95),
      frameP99: percentile(frames, 99),
      frameMax: Math.max(...frames),
      slowFrames: frames.filter((f) => f > 50).length / frames.length,
      longTaskMs: stats.longTasks.reduce((a, b) => a + b, 0) / seconds,
      timerLateP95: percentile(stats.timerLate, 95),
      timerLateMax: Math.max(...stats.timerLate),
      lagLines,
      taskMs: perSecond("TaskDuration"),
      scriptMs: perSecond("ScriptDuration"),
      layoutMs: perSecond("LayoutDuration") + perSecond("RecalcStyleDuration"),
    };
  } finally {
    await browser.close().catch(() => {});
    up.kill("SIGTERM");
    await new Promise((r) => up.once("exit", r));
    killMarked(marker);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Headless chromium (its processes carrying `marker`) on the dashboard at `url`, once the table
 * shows `services` rows and 3 s of warm-up (the backlog, JIT) have passed.
 */
export async function openDashboard(
  url: string,
  marker: string,
  services: number,
): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch(chromiumOptions(MARKER_VAR, marker));
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(url, { waitUntil: "commit", timeout: 120_000 });
    await page
      .locator("tr[data-service]")
      .nth(services - 1)
      .waitFor({ timeout: 120_000 });
    await page.waitForTimeout(3000);
    return { browser, page };
  } catch (error) {
    await browser.close().catch(() => {});
    throw error;
  }
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const quiet = await measure(false);
  const flood = await measure(true);
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const rows: [string, (r: Result) => string, boolean][] = [
    ["frames/s", (r) => r.fps.toFixed(1), true],
    ["frame interval p50", (r) => ms(r.frameP50), true],
    ["frame interval p95", (r) => ms(r.frameP95), true],
    ["frame interval p99", (r) => ms(r.frameP99), true],
    ["frame interval max", (r) => ms(r.frameMax), true],
    ["frames over 50 ms", (r) => `${(r.slowFrames * 100).toFixed(1)} %`, false],
    ["long tasks per second", (r) => ms(r.longTaskMs), false],
    ["main thread busy per second", (r) => ms(r.taskMs), true],
    ["  of which script", (r) => ms(r.scriptMs), true],
    ["  of which layout and style", (r) => ms(r.layoutMs), true],
    ["100 ms timer late p95", (r) => ms(r.timerLateP95), true],
    ["100 ms timer late max", (r) => ms(r.timerLateMax), true],
  ];
  console.log(`dashboard, ${SERVICES} services, ${seconds} s each, chromium headless 1280×800\n`);
  console.log("| measure | quiet | 10,000 lines/s | ratio |\n| --- | --- | --- | --- |");
  for (const [name, show, ratio] of rows) {
    const value = (r: Result) => Number.parseFloat(show(r));
    const r = ratio && value(quiet) > 0 ? `${(value(flood) / value(quiet)).toFixed(2)}×` : "";
    console.log(`| ${name} | ${show(quiet)} | ${show(flood)} | ${r} |`);
  }
  console.log(`\nnewest line in the page vs. up's buffer: ${flood.lagLines} lines behind (svc00 at the end)`);
}

// Run as a script (not when bench/felt.ts imports openDashboard and config).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
