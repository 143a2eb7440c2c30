/**
 * The dashboard's web client (src/dashboard/), as strings served from memory. scripts/build.mjs
 * builds it and embeds it in the bundle through this constant; from source (tsx) it is built
 * in memory on first use by the same script.
 */

/** The page, its script and its style sheet. */
export interface DashboardAssets {
  html: string;
  js: string;
  css: string;
}

import { importModule } from "../core/import-module.js";

declare const __MIRRORD_UP_DASHBOARD__: DashboardAssets | undefined;

let fromSource: Promise<DashboardAssets> | undefined;

export function dashboardAssets(): Promise<DashboardAssets> {
  if (typeof __MIRRORD_UP_DASHBOARD__ !== "undefined") return Promise.resolve(__MIRRORD_UP_DASHBOARD__);
  // Not bundled: the path is computed so that the bundler does not follow it.
  const script = new URL("../../scripts/dashboard-client.mjs", import.meta.url).href;
  fromSource ??= importModule<{ buildDashboardClient: () => Promise<DashboardAssets> }>(script).then((m) =>
    m.buildDashboardClient(),
  );
  return fromSource;
}
