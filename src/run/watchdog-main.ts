/** Entry point of the watchdog process (`node watchdog-main.js`); see watchdog.ts. */
import { runWatchdog } from "./watchdog.js";

// The terminal's Ctrl-C and hang-up are for mirrord-up; the watchdog acts only when its pipe closes.
process.on("SIGINT", () => {});
process.on("SIGHUP", () => {});
await runWatchdog(process.stdin);
process.exit(0);
