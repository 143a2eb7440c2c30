/** Number conversions where Rust's behaviour differs from JavaScript's. */

/** Rust's `f64 as i64`: truncation, saturating at the i64 range, NaN → 0. */
export function f64AsI64(f: number): bigint {
  if (Number.isNaN(f)) return 0n;
  if (f >= 2 ** 63) return 2n ** 63n - 1n;
  if (f <= -(2 ** 63)) return -(2n ** 63n);
  return BigInt(Math.trunc(f));
}

/** Rust's `f64::round`: halves go away from zero (JS's Math.round sends -2.5 to -2). */
export function roundHalfAwayFromZero(f: number): number {
  return f < 0 ? -Math.round(-f) : Math.round(f);
}

/** The exact decimal value of a float, as digits and the position of the point. */
function exactDecimal(f: number): { digits: string; point: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(f));
  const bits = view.getBigUint64(0);
  const exponent = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & ((1n << 52n) - 1n);
  let e2 = exponent - 1075;
  if (exponent === 0) e2 = -1074;
  else mantissa |= 1n << 52n;
  if (e2 >= 0) return { digits: (mantissa << BigInt(e2)).toString(), point: 0 };
  // mantissa / 2^k = mantissa × 5^k / 10^k
  const k = -e2;
  return { digits: (mantissa * 5n ** BigInt(k)).toString(), point: k };
}

/**
 * Rust's `format!("{:.p$}", f)`: the exact value rounded to `p` decimals, ties to even
 * (JS's toFixed rounds ties up: Rust prints 1.125 as "1.12", JS as "1.13").
 */
export function toFixedRust(f: number, places: number): string {
  if (!Number.isFinite(f)) return Number.isNaN(f) ? "NaN" : f > 0 ? "inf" : "-inf";
  const { digits, point } = exactDecimal(f);
  const padded = digits.padStart(point + 1, "0");
  const intLen = padded.length - point;
  let kept = BigInt(padded.slice(0, intLen + places) || "0");
  const rest = padded.slice(intLen + places);
  if (rest.length > 0) {
    const half = `5${"0".repeat(rest.length - 1)}`;
    if (rest > half || (rest === half && kept % 2n === 1n)) kept += 1n;
  }
  let text = kept.toString().padStart(places + 1, "0");
  if (places > 0) text = `${text.slice(0, -places)}.${text.slice(-places)}`;
  return (f < 0 || Object.is(f, -0) ? "-" : "") + text;
}

/** Rust's `str::parse::<f64>`: optional sign, digits with optional point and exponent, inf, NaN. */
export function parseRustFloat(s: string): number | undefined {
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith("-") ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(s)) return Number.NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
  return Number(s);
}

/** Rust's `i64::from_str_radix`: an optional sign and at least one digit of the base, in range. */
export function parseRustInt(s: string, base: number): bigint | undefined {
  const m = /^([+-]?)(.+)$/.exec(s);
  if (!m) return undefined;
  const digits = m[2]!.toLowerCase();
  let value = 0n;
  for (const ch of digits) {
    const d = Number.parseInt(ch, 36);
    if (Number.isNaN(d) || d >= base) return undefined;
    value = value * BigInt(base) + BigInt(d);
  }
  if (m[1] === "-") value = -value;
  if (value < -(2n ** 63n) || value > 2n ** 63n - 1n) return undefined;
  return value;
}
