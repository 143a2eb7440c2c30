/** How the system's chromium is launched headless by the browser tests and bench/dashboard.ts. */
import type { LaunchOptions } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

/** Headless, no sandbox (containers), no network of its own; its processes carry `marker`. */
export function chromiumOptions(markerVar: string, marker: string): LaunchOptions {
  return {
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    env: { ...process.env, [markerVar]: marker },
  };
}
