import picocolors from "picocolors";

export type Colors = ReturnType<typeof picocolors.createColors>;

/**
 * Colour is decided per stream: on for a terminal, off when piped; `NO_COLOR` turns it off,
 * `FORCE_COLOR` on (non-empty, not "0"), and `--no-color` beats both.
 */
export function colorsFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, flag?: boolean): Colors {
  return picocolors.createColors(wantsColor(stream, env, flag));
}

export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, flag?: boolean): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "false") return true;
  return stream.isTTY === true && env.TERM !== "dumb";
}
