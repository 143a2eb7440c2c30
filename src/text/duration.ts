/**
 * `850ms`, `2.4s`, `1m`, `3m5s`, `2h4m`: how long something took, lasted or waits, to the two
 * units that matter. The one duration formatter: status lines, `ps`, `config` and the dashboard.
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
