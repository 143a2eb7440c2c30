/**
 * `850ms`, `2.4s`, `1m`, `3m5s`, `2h4m`: how long something took, lasted or waits, to the two
 * units that matter. The one duration formatter: status lines, `ps`, `config` and the dashboard.
 * The one duration parser too (`parseDuration`): the file's durations, `logs --since`.
 * Units are those `parseDuration` reads (ms, s, m, h; no days), so what `config` prints is a
 * duration mirrord-up.yaml accepts.
 */
export function formatDuration(ms: number, options: { wholeSeconds?: boolean } = {}): string {
  const whole = options.wholeSeconds === true;
  if (!whole && Math.round(ms) < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  // Ages and uptimes count whole seconds (milliseconds there are noise); the rest tenths.
  const tenths = whole ? Math.floor(Math.max(0, ms) / 1000) * 10 : Math.round(ms / 100);
  if (tenths < 600) return `${tenths / 10}s`;
  const s = Math.round(tenths / 10);
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  const h = Math.floor(m / 60);
  return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration: `500ms`, `2s`, `1.5s`, `1m30s`, or a bare number of seconds (`2`). Returns
 * milliseconds, or undefined when the text is not a duration.
 */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const [, amount, unit] of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    total += Number(amount) * (DURATION_UNITS[unit as string] as number);
  }
  return Math.round(total);
}
