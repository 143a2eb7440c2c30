/** The default config file name, looked up in the working directory (a module of its own: the
 * control commands need it without loading the config reader). */
export const DEFAULT_CONFIG_FILE = "mirrord-up.yaml";
