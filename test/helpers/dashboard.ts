/**
 * For the dashboard tests: a real `up` whose dashboard address is read from its output, the
 * client commands run beside it, raw HTTP requests (any `Host`, any header), and a headless
 * chromium that is closed, and its processes killed, when the test file ends.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { after } from "node:test";
import type { Browser } from "playwright-core";
import type { ServiceStatus } from "../../src/run/control-types.js";
import { CHROMIUM, chromiumOptions } from "./chromium.js";
import { checkAnswer } from "./contract.js";
import { REPO_ROOT } from "./paths.js";
import { killMarked, MARKER_VAR, newMarker } from "./processes.js";
import { client } from "./ps.js";
import { startUp, type UpOptions, type UpRun } from "./up.js";

/** Where the tests leave their screenshots (git-ignored). */
export const SCREENSHOTS = join(REPO_ROOT, "test", "screenshots");

export interface Dashboard {
  run: UpRun;
  /** The printed address, token included. */
  url: string;
  origin: string;
  port: number;
  token: string;
}

const ADDRESS = /^dashboard: (http:\/\/127\.0\.0\.1:(\d+)\/#token=([A-Za-z0-9_-]+))$/m;

/** Reads the dashboard's address from what `up` (or `mirrord-up dashboard`) printed. */
export function parseAddress(text: string): Omit<Dashboard, "run"> | undefined {
  const match = ADDRESS.exec(text);
  if (!match) return undefined;
  const [, url, port, token] = match as unknown as [string, string, string, string];
  return { url, origin: `http://127.0.0.1:${port}`, port: Number(port), token };
}

/** `up --dashboard` with the stand-in mirrord; resolves once the address is printed. */
export async function startWithDashboard(config: string, options: UpOptions = {}): Promise<Dashboard> {
  const run = startUp(config, { ...options, args: ["up", "--dashboard", ...(options.args ?? [])] });
  await run.waitForOutput(ADDRESS);
  const address = parseAddress(run.stdout().toString());
  assert.ok(address);
  return { run, ...address };
}

export { type Cli, client, ps } from "./ps.js";

export function row(rows: readonly ServiceStatus[], name: string): ServiceStatus {
  const found = rows.find((r) => r.name === name);
  assert.ok(found, `${name} in ps`);
  return found;
}

/** Ends the run the way a user would, and checks that it ended cleanly. */
export async function down(run: UpRun): Promise<void> {
  if (run.child.exitCode !== null) return;
  const r = await client(run, ["down"]);
  // Its directory already gone, or its socket: Ctrl-C's way.
  if (r.code !== 0) run.child.kill("SIGTERM");
  await run.exited;
}

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * A raw request to 127.0.0.1:`port`, with whatever `Host` and headers the test wants; an API
 * answer is checked against the contract.
 */
export function http(
  port: number,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        path,
        method: options.method ?? "GET",
        headers: { host: `127.0.0.1:${port}`, ...options.headers },
        agent: false,
      },
      (res) => {
        let body = "";
        res.setEncoding("utf8");
        // A stream that was let in is not read to its end: its first bytes say enough.
        res.on("data", (c: string) => {
          body += c;
          if (res.headers["content-type"]?.includes("ndjson")) res.destroy();
        });
        const done = () => {
          try {
            // The API's answers (refusals included) are held to the contract; the page's are not part of it.
            if (path.startsWith("/v1/")) {
              checkAnswer(
                options.method ?? "GET",
                path,
                res.statusCode ?? 0,
                res.headers["content-type"] ?? "",
                body,
              );
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
          } catch (error) {
            reject(error);
          }
        };
        res.on("end", done);
        res.on("close", done);
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

/**
 * A headless chromium (the system's; never downloaded), or undefined when it is not installed
 * (the caller skips with a message). Its processes carry a marker and are killed at the end.
 */
export async function launchChromium(): Promise<Browser | undefined> {
  if (!existsSync(CHROMIUM)) return undefined;
  const { chromium } = await import("playwright-core");
  const marker = newMarker();
  let browser: Browser | undefined;
  after(async () => {
    await browser?.close().catch(() => {});
    killMarked(marker);
  });
  browser = await chromium.launch(chromiumOptions(MARKER_VAR, marker));
  return browser;
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return join(SCREENSHOTS, `${name}.png`);
}
