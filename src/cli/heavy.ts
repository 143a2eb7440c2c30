/**
 * The commands that read the config file, and what they load: YAML, zod, the template engine,
 * the session runner, the dashboard. A command (`commands/*.ts`) imports it only when it runs;
 * the build makes it a bundle of its own (dist/mirrord-up-heavy.cjs), so that `ps`, `logs`,
 * `restart` and the other control commands start without parsing it.
 */
export { loadConfig } from "../config/load.js";
export { resolveKey } from "../plan/key.js";
export { runConfigCommand, runSchemaCommand, runValidateCommand } from "./config-command.js";
export { runDoctorCommand } from "./doctor-command.js";
export { runInitCommand } from "./init-command.js";
export { routeFromFile } from "./route-file.js";
export { runRunCommand } from "./run-command.js";
export { runUpCommand } from "./up-command.js";
