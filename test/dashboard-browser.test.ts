/**
 * The dashboard in a real browser (the system's chromium, headless) against a real `up` with the
 * stand-in mirrord: what a person sees and does, checked against `mirrord-up ps` and the
 * operating system. Screenshots of the main views go to test/screenshots/ (git-ignored).
 */
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { CHROMIUM } from "./helpers/chromium.js";
import {
  type Dashboard,
  down,
  launchChromium,
  ps,
  row,
  screenshotPath,
  startWithDashboard,
} from "./helpers/dashboard.js";
import { isAlive } from "./helpers/processes.js";
import { client } from "./helpers/ps.js";
import { waitUntil } from "./helpers/wait.js";

const SECRET = "s3cr3t-in-env";
const CONFIG = `
services:
  api:
    target: {path: deployment/api}
    env: {override: {API_TOKEN: ${SECRET}}}
    run: {command: [bash, -c, 'echo "api up $$"; i=0; while sleep 0.2; do i=$((i+1)); echo "api tick $i"; done']}
  web:
    run:
      type: local
      command:
        - bash
        - -c
        - |
          echo "web up $$"
          printf '\\033[32mgreen light\\033[0m and <img src=x id=injected> <b>not bold</b>\\n'
          i=0
          while sleep 0.3; do i=$((i+1)); echo "web needle $i"; echo "web hay $i" >&2; done
  worker:
    target: {path: deployment/worker}
    depends_on: [api]
    run: {command: [bash, -c, 'echo "worker up"; exec sleep 3600']}
`;

const skip = existsSync(CHROMIUM)
  ? false
  : `${CHROMIUM} is not installed (apt-get install chromium; .ci/run does it)`;

const WAIT = 30_000;

/** Waits until `probe` holds (the shared waitUntil, with this file's bound). */
const until = <T>(probe: () => Promise<T | undefined | false>, what: string) => waitUntil(probe, WAIT, what);

const cell = (page: Page, service: string, label: string) =>
  page.locator(`tr[data-service="${service}"] td[data-label="${label}"]`);
const stateOf = (page: Page, service: string) =>
  page.locator(`tr[data-service="${service}"] .state`).textContent();
const logLines = (page: Page) => page.locator("#log .l").allTextContents();

/** The column `header` of `service`'s row in `mirrord-up ps`'s table (cells are padded to the header). */
async function psCell(d: Dashboard, service: string, header: string): Promise<string> {
  const r = await client(d.run, ["ps"]);
  assert.equal(r.code, 0, r.stderr);
  const [head = "", ...rows] = r.stdout.split("\n");
  const at = head.indexOf(header);
  const line = rows.find((l) => l.startsWith(`${service} `));
  assert.ok(at >= 0 && line, r.stdout);
  return line.slice(at).trim().split(/\s+/)[0] as string;
}

/** How far the page reaches past the window: down (it scrolls) and sideways. */
const pageOverflow = (page: Page) =>
  page.evaluate<{ scroll: number; wide: number }>(`({
    scroll: document.documentElement.scrollHeight - window.innerHeight,
    wide: document.documentElement.scrollWidth - window.innerWidth,
  })`);

/** An element's box, in CSS pixels of the viewport. */
const box = async (page: Page, selector: string) => {
  const found = await page.locator(selector).first().boundingBox();
  assert.ok(found, `${selector} is laid out`);
  return found;
};

describe("the dashboard in a browser", { timeout: 240_000, skip }, () => {
  let browser: Browser;
  let d: Dashboard;
  let page: Page;
  after(async () => {
    if (d) await down(d.run);
  });
  const shared = skip ? undefined : startWithDashboard(CONFIG);
  shared?.catch(() => {});

  async function open(): Promise<Page> {
    if (page) return page;
    d = await (shared as Promise<Dashboard>);
    await d.run.waitForOutput("all 3 services ready");
    browser = (await launchChromium()) as Browser;
    // A context of its own, like a browser window, so that a test can open a second tab in it.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    after(() => assert.deepEqual(errors, [], "errors in the page"));
    await page.goto(d.url);
    return page;
  }

  it("shows every service with the state, pid and target ps reports", async () => {
    const page = await open();
    const rows = await ps(d.run);
    for (const s of rows) {
      await until(async () => (await stateOf(page, s.name)) === s.state, `${s.name} shown as ${s.state}`);
      assert.equal(await cell(page, s.name, "PID").textContent(), String(s.pid));
      assert.equal(await cell(page, s.name, "Type").textContent(), s.type);
      assert.equal(await cell(page, s.name, "Target").textContent(), s.target ?? "–");
    }
    assert.deepEqual(
      await page
        .locator("tbody tr[data-service]")
        .evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-service"))),
      ["api", "web", "worker"],
    );
    assert.equal(await page.locator("#header").textContent(), "baggage: mirrord-session=tester");
    await until(async () => (await logLines(page)).length > 5, "some log lines");
    await page.screenshot({ path: screenshotPath("dashboard-main") });
  });

  it("keeps the token out of the address and the tab's history, and through a reload", async () => {
    const page = await open();
    await cell(page, "api", "PID").waitFor({ timeout: WAIT });
    assert.equal(await page.evaluate<string>("location.href"), `${d.origin}/`);
    assert.equal(page.url(), `${d.origin}/`);
    assert.equal(await page.evaluate<string>("document.referrer"), "");
    // The entry the address was opened in is the current one, rewritten in place.
    assert.equal(await page.evaluate<number>("history.length"), 2, "about:blank, then the dashboard");
    await page.reload();
    assert.equal(page.url(), `${d.origin}/`);
    for (const s of await ps(d.run)) {
      await until(async () => (await stateOf(page, s.name)) === s.state, `${s.name} shown after a reload`);
    }
    await until(async () => (await logLines(page)).length > 5, "the log after a reload");
  });

  it("needs the printed address in a new tab, and sends nothing before", async () => {
    const page = await open();
    // A new tab of the same browser window: same cookies and storage, its own sessionStorage.
    const tab = await page.context().newPage();
    const requests: string[] = [];
    tab.on("request", (r) => requests.push(r.url()));
    await tab.goto(`${d.origin}/`);
    await tab.getByText("This page needs its address").waitFor({ timeout: WAIT });
    assert.equal(await tab.locator("#app").isVisible(), false);
    assert.deepEqual(
      requests.filter((url) => url.includes("/v1/")),
      [],
      "no API request without the token",
    );
    await tab.close();
  });

  it("restarts only the service whose Restart button is pressed (from the keyboard)", async () => {
    const page = await open();
    const before = await ps(d.run);
    const restart = page.getByRole("button", { name: "Restart api", exact: true });
    await restart.focus();
    await page.keyboard.press("Enter");
    const changed = await until(async () => {
      const rows = await ps(d.run);
      const api = row(rows, "api");
      return api.pid !== row(before, "api").pid && api.state === "ready" ? rows : undefined;
    }, "api to have a new pid");
    assert.equal(row(changed, "api").restarts, row(before, "api").restarts + 1);
    for (const other of ["web", "worker"]) {
      assert.equal(row(changed, other).pid, row(before, other).pid, `${other} kept its pid`);
      assert.equal(row(changed, other).restarts, row(before, other).restarts);
    }
    assert.ok(!isAlive(row(before, "api").pid as number), "the old api process is gone");
    // The table follows without a reload.
    const newPid = String(row(changed, "api").pid);
    await until(
      async () => (await cell(page, "api", "PID").textContent()) === newPid,
      "the new pid in the table",
    );
    await until(
      async () => (await cell(page, "api", "Restarts").textContent()) === "1",
      "1 restart in the table",
    );
    // The timeline says who restarted it.
    await page.getByRole("tab", { name: "Events" }).click();
    const restarted = page.locator(".ev.k-restarted", { hasText: "api" });
    await restarted.first().waitFor({ timeout: WAIT });
    assert.match((await restarted.first().textContent()) ?? "", /on request/);
    assert.ok((await page.locator(".ev.k-ready", { hasText: "api" }).count()) >= 2);
    await page.screenshot({ path: screenshotPath("dashboard-events") });
    await page.getByRole("tab", { name: "Logs" }).click();
  });

  it("shows the logs live, renders colours as text, and filters them by text and service", async () => {
    const page = await open();
    const ticks = async () =>
      Math.max(0, ...(await logLines(page)).map((l) => Number(/api tick (\d+)/.exec(l)?.[1] ?? 0)));
    const first = await until(ticks, "api ticks in the log");
    await until(async () => (await ticks()) > first + 2, "newer ticks, without a reload");
    // Colours become styles; the service's markup stays text.
    const green = page.locator("#log .l span.f2", { hasText: "green light" });
    assert.equal(await green.count(), 1);
    assert.equal(await page.locator("#injected").count(), 0);
    assert.ok((await logLines(page)).some((l) => l.includes("<img src=x id=injected> <b>not bold</b>")));
    assert.ok(!(await logLines(page)).some((l) => l.includes("\x1b")));
    // "/" goes to the search field.
    await page.locator("#log").focus();
    await page.keyboard.press("/");
    assert.equal(await page.evaluate("document.activeElement?.id"), "log-search");
    await page.keyboard.type("NEEDLE");
    const needles = await until(async () => {
      const lines = await logLines(page);
      return lines.length > 0 && lines.every((l) => l.includes("web needle")) ? lines : undefined;
    }, "only needle lines");
    const lastNeedle = (lines: string[]) =>
      Math.max(...lines.map((l) => Number(/needle (\d+)/.exec(l)?.[1])));
    const seen = lastNeedle(needles);
    await until(async () => lastNeedle(await logLines(page)) > seen, "new needle lines while filtered");
    assert.ok((await logLines(page)).every((l) => l.includes("web needle")));
    // By service: worker's lines only.
    await page.locator("#log-search").fill("");
    await page.getByRole("combobox", { name: "Service" }).selectOption("worker");
    await until(async () => {
      const lines = await logLines(page);
      return (
        lines.length > 0 &&
        lines.every((l) => l.startsWith("worker")) &&
        lines.some((l) => l.includes("worker up"))
      );
    }, "only worker's lines");
    await page.getByRole("combobox", { name: "Service" }).selectOption("");
    // Pause holds new lines back; resume shows them. First wait for the unfiltered view to be drawn
    // (the view redraws in batches), so that what is held is compared with what was on screen.
    await until(
      async () => (await logLines(page)).some((l) => !l.startsWith("worker")),
      "every service's lines",
    );
    await page.getByRole("button", { name: "Pause" }).click();
    const held = await logLines(page);
    await until(
      async () =>
        /paused: ([3-9]|\d\d+) new lines held/.test((await page.locator("#log-count").textContent()) ?? ""),
      "lines held while paused",
    );
    assert.deepEqual((await logLines(page)).slice(-3), held.slice(-3));
    await page.getByRole("button", { name: "Resume" }).click();
    await until(async () => (await logLines(page)).at(-1) !== held.at(-1), "new lines after resuming");
  });

  it("stops and starts a service", async () => {
    const page = await open();
    const before = row(await ps(d.run), "web");
    assert.equal(before.state, "running");
    await page.getByRole("button", { name: "Stop web", exact: true }).click();
    await until(async () => row(await ps(d.run), "web").state === "stopped", "web stopped");
    await until(async () => !isAlive(before.pid as number), "web's process gone");
    await until(async () => (await stateOf(page, "web")) === "stopped", "web shown as stopped");
    assert.equal(row(await ps(d.run), "api").state, "ready", "api runs on");
    assert.equal(await page.getByRole("button", { name: "Stop web", exact: true }).isDisabled(), true);
    await page.getByRole("button", { name: "Start web", exact: true }).click();
    const started = await until(async () => {
      const web = row(await ps(d.run), "web");
      return web.state === "running" && web.pid !== null ? web : undefined;
    }, "web running again");
    assert.notEqual(started.pid, before.pid);
    assert.ok(isAlive(started.pid as number));
    await until(async () => (await stateOf(page, "web")) === "running", "web shown as running");
  });

  it("shows each service's config with env values hidden until asked", async () => {
    const page = await open();
    await page.getByRole("button", { name: "Config of api", exact: true }).click();
    const json = page.locator("#configs pre.json").first();
    await json.waitFor({ timeout: WAIT });
    await until(async () => ((await json.textContent()) ?? "").includes("API_TOKEN"), "api's mirrord.json");
    assert.ok(!(await page.content()).includes(SECRET), "the value is not in the page");
    assert.match(
      (await page.locator("#configs").textContent()) ?? "",
      /curl -H 'baggage: mirrord-session=tester' http:\/\/api\//,
    );
    await page.screenshot({ path: screenshotPath("dashboard-configs") });
    await page.getByRole("button", { name: "Show env values" }).click();
    await until(async () => (await page.content()).includes(SECRET), "the value once asked for");
    await page.getByRole("button", { name: "Hide env values" }).click();
    await until(async () => !(await page.content()).includes(SECRET), "the value hidden again");
    await page.getByRole("tab", { name: "Logs" }).click();
  });

  it("answers which session gets a request, per service, as `mirrord-up route` does", async () => {
    const page = await open();
    await page.getByRole("tab", { name: "Route" }).click();
    await page.getByLabel("Path").fill("/orders?id=7");
    await page.getByLabel("Port").fill("80");
    await page.getByLabel("Operator").selectOption("yes");
    await page.getByLabel(/^Headers/).fill("baggage: mirrord-session=tester\nx-other: 1");
    await page.getByRole("button", { name: "Ask" }).click();
    const verdict = (service: string) => page.locator(`li[data-service="${service}"] .verdict`).textContent();
    await until(async () => (await verdict("api")) === "steals", "api steals");
    assert.equal(await verdict("worker"), "steals");
    assert.equal(
      await page.locator('li[data-service="web"]').count(),
      0,
      "a local service is not asked about",
    );
    assert.match(
      (await page.locator('li[data-service="api"] .reasons').textContent()) ?? "",
      /header line "baggage: mirrord-session=tester" matches mirrord\/agent\/src\/http\/filter\.rs:300-309/,
    );
    await page.screenshot({ path: screenshotPath("dashboard-route") });
    // The same question from the command line gets the same verdicts from the run.
    const cli = await client(d.run, [
      "route",
      "GET /orders?id=7",
      "-H",
      "baggage: mirrord-session=tester",
      "--port",
      "80",
      "--operator",
      "--format",
      "json",
    ]);
    assert.equal(cli.code, 0, cli.stderr);
    const answer = JSON.parse(cli.stdout) as {
      from: string;
      services: { service: string; verdict: string }[];
    };
    assert.equal(answer.from, "running up");
    assert.deepEqual(
      answer.services.map((s) => [s.service, s.verdict]),
      [
        ["api", "steals"],
        ["worker", "steals"],
      ],
    );
    await page.getByLabel(/^Headers/).fill("");
    await page.getByRole("button", { name: "Ask" }).click();
    await until(async () => (await verdict("api")) === "passes", "api passes without the header");
    assert.equal(
      await page.locator("#route-summary").textContent(),
      "no session steals it: passed through to the original destination",
    );
    await page.getByLabel("Path").fill("no-slash");
    await page.getByRole("button", { name: "Ask" }).click();
    await until(
      async () =>
        /the path starts with \//.test((await page.locator("#route-answer .error").textContent()) ?? ""),
      "the refusal shown",
    );
    await page.getByRole("tab", { name: "Logs" }).click();
  });

  it("labels each event with its cause: a restart on request of a service with depends_on is not a dependency's", async () => {
    const page = await open();
    const before = row(await ps(d.run), "worker");
    await page.getByRole("button", { name: "Restart worker", exact: true }).click();
    const after = await until(async () => {
      const worker = row(await ps(d.run), "worker");
      return worker.pid !== before.pid && worker.state === "ready" ? worker : undefined;
    }, "worker to have a new pid");
    await page.getByRole("tab", { name: "Events" }).click();
    const workerEvents = page.locator(".ev", { has: page.locator(".svc", { hasText: /^worker$/ }) });
    const restarted = workerEvents.and(page.locator(".k-restarted"));
    await restarted.first().waitFor({ timeout: WAIT });
    assert.equal(await restarted.count(), 1);
    assert.equal(await restarted.locator(".by").textContent(), "on request");
    assert.equal(await restarted.locator(".detail").textContent(), `pid ${before.pid} → ${after.pid}`);
    // Its start at the run's start had no cause but the run; nothing of worker's says "dependency".
    const causes = await workerEvents.locator(".by").allTextContents();
    assert.deepEqual(causes, ["on request"]);
    assert.equal(await workerEvents.filter({ hasText: "dependency" }).count(), 0);
    await page.getByRole("tab", { name: "Logs" }).click();
  });

  it('shows "Ready after" as ps prints it', async () => {
    const page = await open();
    for (const s of await ps(d.run)) {
      if (s.ready_after_ms === null) continue;
      const printed = await psCell(d, s.name, "READY AFTER");
      await until(
        async () => (await cell(page, s.name, "Ready after").textContent()) === printed,
        `${s.name}'s Ready after as ps prints it (${printed})`,
      );
    }
  });

  it("pads service names in the log to the longest one, as the terminal does", async () => {
    const page = await open();
    for (const name of ["api", "web", "worker"]) {
      await page
        .locator("#log .l .n", { hasText: new RegExp(`^${name}$`) })
        .first()
        .waitFor({ timeout: WAIT });
    }
    // In the page (this file is compiled without the DOM's types, hence a string).
    const measured = await page.evaluate<{
      ch: number;
      byName: Record<string, { width: number; gap: number }>;
    }>(`(() => {
      const log = document.getElementById("log");
      const probe = document.createElement("span");
      probe.textContent = "0".repeat(100);
      probe.style.position = "absolute";
      log.append(probe);
      const ch = probe.getBoundingClientRect().width / 100;
      probe.remove();
      const byName = {};
      for (const n of document.querySelectorAll("#log .l .n")) {
        const name = n.textContent;
        const text = n.nextSibling;
        if (byName[name] || !text) continue;
        const range = document.createRange();
        range.selectNodeContents(text);
        const first = range.getClientRects()[0];
        if (!first) continue;
        const own = n.getBoundingClientRect();
        byName[name] = { width: own.width, gap: first.left - own.right };
      }
      return { ch, byName };
    })()`);
    const { ch, byName } = measured;
    // "worker" is the longest name: every name takes its 6 columns, then " |", then one space.
    for (const name of ["api", "web", "worker"]) {
      const m = byName[name];
      assert.ok(m, `a line of ${name}`);
      assert.ok(Math.abs(m.width - 8 * ch) < 1, `${name}: ${m.width}px wide, ${8 * ch}px expected`);
      assert.ok(Math.abs(m.gap - ch) < 1, `${name}: ${m.gap}px before the text, ${ch}px expected`);
    }
  });

  it("lays out at 1280×800 (no page scroll, the log fills the rest) and at 390×844 (the page scrolls, the log is over half the window)", async () => {
    const page = await open();
    const page1280 = await pageOverflow(page);
    assert.ok(page1280.scroll <= 0, `the page scrolls by ${page1280.scroll}px at 1280×800`);
    assert.ok(page1280.wide <= 0);
    const log1280 = await box(page, "#log");
    assert.ok(log1280.height >= 800 * 0.4, `the log is ${log1280.height}px tall at 1280×800`);
    assert.ok(log1280.y + log1280.height <= 800, "the log ends inside the window");

    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.screenshot({ path: screenshotPath("dashboard-390"), fullPage: true });
      const header = await box(page, "header.top");
      // Four short lines: the name and the connection, the file, the key, the session header.
      assert.ok(header.height <= 844 * 0.15, `the header is ${header.height}px tall at 390 px`);
      const log = await box(page, "#log");
      assert.ok(log.height >= 844 / 2, `the log is ${log.height}px tall at 390×844`);
      const sizes = await pageOverflow(page);
      assert.ok(sizes.scroll > 0, "the page scrolls");
      assert.ok(sizes.wide <= 0, `the page is ${sizes.wide}px too wide`);
      // Scrolled to the log, the whole log is in view.
      await page.evaluate('document.getElementById("log").scrollIntoView({ block: "end" })');
      const inView = await box(page, "#log");
      assert.ok(inView.y >= 0 && inView.y + inView.height <= 844 + 1, `the log at ${inView.y}px`);
    } finally {
      await page.evaluate("window.scrollTo(0, 0)");
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });

  it("stays readable on a narrow window and in dark mode", async () => {
    const page = await open();
    await page.setViewportSize({ width: 420, height: 800 });
    await page.emulateMedia({ colorScheme: "dark" });
    // Each row is a card: the page does not scroll sideways.
    const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - window.innerWidth");
    assert.ok(overflow <= 0, `the page is ${overflow}px too wide`);
    assert.equal(await page.getByRole("button", { name: "Restart worker", exact: true }).isVisible(), true);
    const background = await page.evaluate<string>("getComputedStyle(document.body).backgroundColor");
    assert.notEqual(background, "rgb(255, 255, 255)");
    await page.screenshot({ path: screenshotPath("dashboard-narrow-dark") });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.emulateMedia({ colorScheme: "light" });
  });

  it("shows how to get the address when opened without its token, or with an old one", async () => {
    await open();
    const bare = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await bare.goto(`${d.origin}/`);
    await bare.getByText("mirrord-up dashboard", { exact: true }).waitFor({ timeout: WAIT });
    assert.equal(await bare.locator("#app").isVisible(), false);
    assert.equal(await bare.locator("tr[data-service]").count(), 0);
    await bare.screenshot({ path: screenshotPath("dashboard-no-token") });
    // The printed address pasted into the same tab (only the fragment changes).
    await bare.goto(d.url);
    await bare.locator('tr[data-service="api"]').waitFor({ timeout: WAIT });
    assert.equal(bare.url(), `${d.origin}/`);
    // An old run's address: its token wins over the stored one, is refused, and is forgotten.
    await bare.goto(`${d.origin}/#token=${"A".repeat(43)}`);
    await bare.getByText("This address is out of date").waitFor({ timeout: WAIT });
    assert.equal(bare.url(), `${d.origin}/`);
    assert.equal(await bare.locator("#app").isVisible(), false);
    assert.equal(await bare.evaluate<number>("sessionStorage.length"), 0);
    await bare.reload();
    await bare.getByText("This page needs its address").waitFor({ timeout: WAIT });
    await bare.close();
  });
});

describe("a crashed service in the dashboard", { timeout: 240_000, skip }, () => {
  it("shows as failed, with its exit code and its last lines, while the others run on", async () => {
    const d = await startWithDashboard(
      `
services:
  crashy:
    run: {type: local, command: [bash, -c, 'echo "crashy starting"; while [ ! -f crash-now ]; do sleep 0.1; done; echo "boom: the last words" >&2; exit 3']}
  steady:
    run: {type: local, command: [bash, -c, 'echo "steady up"; exec sleep 3600']}
`,
      { args: ["--keep-going"] },
    );
    try {
      const browser = (await launchChromium()) as Browser;
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(d.url);
      await until(async () => (await stateOf(page, "crashy")) === "running", "crashy running");
      writeFileSync(join(d.run.dir, "crash-now"), "");
      await until(async () => (await stateOf(page, "crashy")) === "failed", "crashy shown as failed");
      assert.equal(await cell(page, "crashy", "Exit").textContent(), "3");
      const last = page.locator("tr.detail:not([hidden]) .last-lines");
      await until(
        async () => ((await last.textContent()) ?? "").includes("boom: the last words"),
        "its last lines",
      );
      assert.equal(row(await ps(d.run), "crashy").state, "failed");
      assert.equal(row(await ps(d.run), "steady").state, "running");
      assert.equal(await stateOf(page, "steady"), "running");
      await page.screenshot({ path: screenshotPath("dashboard-failed") });
    } finally {
      await down(d.run);
    }
  });
});

describe("a restart by the policy in the dashboard", { timeout: 240_000, skip }, () => {
  it("says its cause once, then the attempt and the pids", async () => {
    const d = await startWithDashboard(
      `
services:
  flaky:
    restart: "on-failure:1"
    run: {type: local, command: [bash, -c, 'echo "flaky up"; while [ ! -f fail-now ]; do sleep 0.1; done; rm fail-now; exit 1']}
  steady:
    run: {type: local, command: [bash, -c, 'echo "steady up"; exec sleep 3600']}
`,
    );
    try {
      const browser = (await launchChromium()) as Browser;
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(d.url);
      await until(async () => (await stateOf(page, "flaky")) === "running", "flaky running");
      const first = row(await ps(d.run), "flaky").pid;
      writeFileSync(join(d.run.dir, "fail-now"), "");
      const second = await until(async () => {
        const flaky = row(await ps(d.run), "flaky");
        return flaky.pid !== first && flaky.state === "running" ? flaky.pid : undefined;
      }, "flaky restarted by its policy");
      await page.getByRole("tab", { name: "Events" }).click();
      const restarted = page.locator(".ev.k-restarted");
      await restarted.first().waitFor({ timeout: WAIT });
      assert.equal(await restarted.count(), 1);
      assert.equal(await restarted.locator(".by").textContent(), "by the restart policy");
      assert.equal(
        await restarted.locator(".detail").textContent(),
        `on-failure, attempt 1 of 1, pid ${first} → ${second}`,
      );
      await page.screenshot({ path: screenshotPath("dashboard-policy-event") });
    } finally {
      await down(d.run);
    }
  });
});
