/**
 * Tera's `date` filter and the clock of `now()`: chrono's parsing of the input (a timestamp in
 * seconds, an RFC 3339 date-time, a naive date-time or `YYYY-MM-DD`) and chrono's `strftime`
 * specifiers. A time zone given by name is one chrono-tz 0.9 knows (`tz-table.ts`); its UTC offset
 * comes from the platform's tz database (Intl), its `%Z` abbreviation from chrono-tz's, because
 * Intl's short names differ (`GMT+9` where chrono-tz says `JST`).
 */
import { type Args, BuiltinError, debugValue, getString } from "./args.js";
import { TZ_ABBREVIATIONS, TZ_NAMES } from "./tz-table.js";
import { isNumber, toJson, type Value } from "./values.js";

/** A moment split into calendar fields, with its UTC offset. */
interface DateTimeParts {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** As chrono keeps them: 1_000_000_000 or more during a leap second (`23:59:60`). */
  nanos: number;
  offset: number; // seconds east of UTC
  zone: string; // %Z
  timestamp: bigint; // seconds since the epoch
}

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];

const DAY_MS = 86_400_000;
const NANOS_PER_SECOND = 1_000_000_000;

/** Calendar fields of `seconds` since the epoch shifted by `offset` seconds. */
function partsAt(seconds: bigint, nanos: number, offset: number, zone: string): DateTimeParts {
  const local = new Date(Number(seconds + BigInt(offset)) * 1000);
  if (Number.isNaN(local.getTime())) throw new BuiltinError("the date is out of range");
  return {
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds() + (nanos >= NANOS_PER_SECOND ? 1 : 0),
    nanos,
    offset,
    zone,
    timestamp: seconds,
  };
}

/** One formatter per zone: building one costs far more than using it. */
const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * The offset (seconds) and abbreviation of a zone chrono-tz knows at a moment: the platform's
 * offset and chrono-tz's abbreviation for it, or, from the zone's last change in chrono-tz (which
 * computes none after 2100), chrono-tz's for both.
 */
function zoneAt(zone: string, seconds: bigint): { offset: number; name: string } {
  const { eras, final } = zoneData(zone);
  if (final && seconds >= final.start) return { offset: final.offset, name: final.name };
  const date = new Date(Number(seconds) * 1000);
  let format = formats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      era: "short",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formats.set(zone, format);
  }
  const parts = format.formatToParts(date);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const bc = parts.find((p) => p.type === "era")?.value === "BC";
  const local = utcDate(bc ? 1 - get("year") : get("year"), get("month"), get("day"));
  local.setUTCHours(get("hour"), get("minute"), get("second"));
  const offset = Math.round((local.getTime() - Math.floor(date.getTime() / 1000) * 1000) / 1000);
  return { offset, name: abbreviationAt(eras, seconds, offset) };
}

/** Seconds since the epoch of 1800-01-01T00:00:00Z, where `tz-table.ts` counts from. */
const TABLE_START = -5_364_662_400n;

interface Era {
  start: bigint;
  names: Map<number, string>;
}
interface ZoneData {
  eras: Era[];
  /** The zone's last change in chrono-tz, and what it keeps from then on. */
  final?: { start: bigint; offset: number; name: string };
}
const zones = new Map<string, ZoneData>();

/** `ABBR+offset` -> [offset, abbreviation]; an abbreviation may itself be numeric (`+0530`). */
function splitKind(kind: string): [number, string] {
  const sign = kind.search(/[+-]\d+$/);
  return [Number(kind.slice(sign)), kind.slice(0, sign)];
}

const tableSeconds = (base36: string) => TABLE_START + BigInt(Number.parseInt(base36, 36));

/** A zone's entry of `tz-table.ts`, decoded once. */
function zoneData(zone: string): ZoneData {
  let data = zones.get(zone);
  if (data) return data;
  let text = TZ_ABBREVIATIONS[TZ_NAMES[zone]!]!;
  let final: ZoneData["final"];
  const hash = text.indexOf("#");
  if (hash >= 0) {
    const [start, kind] = text.slice(0, hash).split(">") as [string, string];
    const [offset, name] = splitKind(kind);
    final = { start: tableSeconds(start), offset, name };
    text = text.slice(hash + 1);
  }
  const eras = text.split("|").map((era) => {
    const colon = era.indexOf(":");
    const names = new Map(
      era
        .slice(colon + 1)
        .split(",")
        .map(splitKind),
    );
    return { start: colon < 0 ? -(2n ** 63n) : tableSeconds(era.slice(0, colon)), names };
  });
  data = { eras, ...(final && { final }) };
  zones.set(zone, data);
  return data;
}

/**
 * What chrono-tz prints for `%Z`: the zone's abbreviation for `offset` in the era of `seconds`,
 * or the offset as the tz database writes one it has no abbreviation for (`+04`, `+0530`).
 */
function abbreviationAt(eras: Era[], seconds: bigint, offset: number): string {
  const era = eras.findLast((e) => e.start <= seconds) ?? eras[0]!;
  const name = era.names.get(offset);
  if (name !== undefined) return name;
  const abs = Math.abs(offset);
  const minutes = Math.floor((abs % 3600) / 60);
  return `${offset < 0 ? "-" : "+"}${pad(Math.floor(abs / 3600))}${minutes ? pad(minutes) : ""}`;
}

/** Names as chrono-tz's `Tz::from_str` takes them: exactly, case included. */
function validZone(zone: string): boolean {
  return Object.hasOwn(TZ_NAMES, zone);
}

/** Seconds since the epoch of a calendar date-time in UTC, or undefined if it does not exist. */
function epochSeconds(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): bigint | undefined {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 60) return undefined;
  const date = utcDate(y, mo, d);
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
  // A leap second (`:60`) is the second before it, with `leapNanos` added to its fraction.
  date.setUTCHours(h, mi, Math.min(s, 59));
  return BigInt(Math.floor(date.getTime() / 1000));
}

/** chrono keeps a leap second as the 59th second and a fraction of one second or more. */
const leapNanos = (second: string) => (second === "60" ? NANOS_PER_SECOND : 0);

function fractionNanos(fraction: string | undefined): number {
  return fraction ? Number(fraction.slice(1, 10).padEnd(9, "0")) : 0;
}

const RFC3339 =
  /^([+-]?\d{4,})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;
const NAIVE_DATETIME = /^([+-]?\d{4,})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?$/;
const NAIVE_DATE = /^([+-]?\d{1,})-(\d{1,2})-(\d{1,2})$/;

/** Tera's `date(format="%Y-%m-%d", timezone=...)`. */
export function formatDate(value: Value, args: Args): string {
  const formatArg = args.get("format");
  const format = formatArg === undefined ? "%Y-%m-%d" : getString("date", "format", formatArg);
  const items = parseFormat(format);
  if (!items) throw new BuiltinError(`Invalid date format \`${format}\``);
  const zoneArg = args.get("timezone");
  const zone = zoneArg === undefined ? undefined : getString("date", "timezone", zoneArg);
  if (zone !== undefined && !validZone(zone))
    throw new BuiltinError(`Error parsing \`${zone}\` as a timezone`);
  const inZone = (seconds: bigint, nanos: number, fallback: () => DateTimeParts) => {
    if (zone === undefined) return fallback();
    const { offset, name } = zoneAt(zone, seconds);
    return partsAt(seconds, nanos, offset, name);
  };

  let parts: DateTimeParts;
  if (isNumber(value)) {
    if (typeof value !== "bigint" || value > 2n ** 63n - 1n) {
      throw new BuiltinError(`Filter \`date\` was invoked on a float: ${toJson(value)}`);
    }
    parts = inZone(value, 0, () => partsAt(value, 0, 0, "UTC"));
  } else if (typeof value === "string") {
    if (value.includes("T")) {
      const m = RFC3339.exec(value);
      const n = m ? undefined : NAIVE_DATETIME.exec(value);
      const f = m ?? n;
      const local = f ? epochSeconds(+f[1]!, +f[2]!, +f[3]!, +f[4]!, +f[5]!, +f[6]!) : undefined;
      if (!f || local === undefined) {
        throw new BuiltinError(
          `Error parsing \`${JSON.stringify(value)}\` as rfc3339 date or naive datetime`,
        );
      }
      const nanos = fractionNanos(f[7]) + leapNanos(f[6]!);
      if (m) {
        const offset = m[8] ? 0 : (m[9] === "-" ? -1 : 1) * (Number(m[10]) * 3600 + Number(m[11]) * 60);
        const utc = local - BigInt(offset);
        parts = inZone(utc, nanos, () => partsAt(utc, nanos, offset, formatOffset(offset, ":")));
      } else parts = partsAt(local, nanos, 0, "UTC");
    } else {
      const m = NAIVE_DATE.exec(value);
      const seconds = m ? epochSeconds(+m[1]!, +m[2]!, +m[3]!) : undefined;
      if (!m || seconds === undefined) {
        throw new BuiltinError(`Error parsing \`${JSON.stringify(value)}\` as YYYY-MM-DD date`);
      }
      // Tera formats a date without a time in UTC, whatever `timezone` says.
      parts = partsAt(seconds, 0, 0, "UTC");
    }
  } else {
    throw new BuiltinError(
      `Filter \`date\` received an incorrect type for arg \`value\`: got \`${debugValue(value)}\` but expected i64|u64|String`,
    );
  }
  return items.map((item) => (typeof item === "string" ? item : item(parts))).join("");
}

/** chrono's `DateTime::to_rfc3339` of `date` in the machine's zone (or UTC): what `now()` returns. */
export function rfc3339(date: Date, utc: boolean): string {
  const offset = utc ? 0 : -date.getTimezoneOffset() * 60;
  const ms = date.getTime();
  const seconds = BigInt(Math.floor(ms / 1000));
  const nanos = (((ms % 1000) + 1000) % 1000) * 1_000_000;
  const p = partsAt(seconds, nanos, offset, "");
  const fraction = nanos === 0 ? "" : `.${String(nanos / 1_000_000).padStart(3, "0")}`;
  return `${year4(p.year)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${fraction}${formatOffset(offset, ":")}`;
}

const pad = (n: number, width = 2, fill = "0") => String(n).padStart(width, fill);
const year4 = (y: number) => (y < 0 ? `-${pad(-y, 4)}` : y > 9999 ? `+${y}` : pad(y, 4));

function formatOffset(offset: number, sep: string, withSeconds = false): string {
  const sign = offset < 0 ? "-" : "+";
  const abs = Math.abs(offset);
  const base = `${sign}${pad(Math.floor(abs / 3600))}${sep}${pad(Math.floor((abs % 3600) / 60))}`;
  return withSeconds ? `${base}${sep}${pad(abs % 60)}` : base;
}

type Item = string | ((p: DateTimeParts) => string);

/** Midnight UTC of a calendar date (any year, unlike `Date.UTC`, which maps 0-99 to 1900-1999). */
function utcDate(year: number, month: number, day: number): Date {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  return d;
}

function weekday(p: DateTimeParts): number {
  return utcDate(p.year, p.month, p.day).getUTCDay();
}

function dayOfYear(p: DateTimeParts): number {
  return (
    Math.round((utcDate(p.year, p.month, p.day).getTime() - utcDate(p.year, 1, 1).getTime()) / DAY_MS) + 1
  );
}

/** ISO 8601 week-numbering year and week. */
function isoWeek(p: DateTimeParts): { year: number; week: number } {
  const wd = (weekday(p) + 6) % 7; // Monday = 0
  const yday = dayOfYear(p);
  let week = Math.floor((yday - wd + 9) / 7);
  let year = p.year;
  if (week < 1) {
    year--;
    const last = { ...p, year, month: 12, day: 31 };
    return { year, week: isoWeek(last).week };
  }
  const leap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  if (week === 53 && yday - wd + 3 > (leap(year) ? 366 : 365)) {
    year++;
    week = 1;
  }
  return { year, week };
}

/** Splits a strftime format into literal text and field formatters; undefined if chrono rejects it. */
function parseFormat(format: string): Item[] | undefined {
  const items: Item[] = [];
  const chars = Array.from(format);
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch !== "%") {
      items.push(ch);
      continue;
    }
    let padMode: "" | "-" | "_" | "0" = "";
    let next = chars[++i];
    if (next === "-" || next === "_" || next === "0") {
      padMode = next;
      next = chars[++i];
    }
    if (next === undefined) return undefined;
    const num =
      (get: (p: DateTimeParts) => number, width: number, fill = "0") =>
      (p: DateTimeParts) => {
        const n = get(p);
        if (padMode === "-") return String(n);
        const f = padMode === "_" ? " " : padMode === "0" ? "0" : fill;
        return n < 0 ? `-${pad(-n, width - 1, f)}` : pad(n, width, f);
      };
    const text = (get: (p: DateTimeParts) => string) => get;
    const fraction = (digits: number | "auto", dot: boolean) => (p: DateTimeParts) => {
      const nanos = p.nanos % NANOS_PER_SECOND;
      let d = digits;
      if (d === "auto") d = nanos === 0 ? 0 : nanos % 1_000_000 === 0 ? 3 : nanos % 1000 === 0 ? 6 : 9;
      if (d === 0) return "";
      return (dot ? "." : "") + pad(nanos, 9).slice(0, d);
    };
    const simple: Record<string, Item | undefined> = {
      Y: (p) => (padMode === "" ? year4(p.year) : num((q) => q.year, 4)(p)),
      C: num((p) => Math.floor(p.year / 100), 2),
      y: num((p) => ((p.year % 100) + 100) % 100, 2),
      q: num((p) => Math.floor((p.month - 1) / 3) + 1, 1),
      m: num((p) => p.month, 2),
      b: text((p) => MONTHS[p.month - 1]!.slice(0, 3)),
      h: text((p) => MONTHS[p.month - 1]!.slice(0, 3)),
      B: text((p) => MONTHS[p.month - 1]!),
      d: num((p) => p.day, 2),
      e: num((p) => p.day, 2, " "),
      a: text((p) => DAYS[weekday(p)]!.slice(0, 3)),
      A: text((p) => DAYS[weekday(p)]!),
      w: num((p) => weekday(p), 1),
      u: num((p) => weekday(p) || 7, 1),
      U: num((p) => Math.floor((dayOfYear(p) - 1 + 7 - weekday(p)) / 7), 2),
      W: num((p) => Math.floor((dayOfYear(p) - 1 + 7 - ((weekday(p) + 6) % 7)) / 7), 2),
      G: num((p) => isoWeek(p).year, 4),
      g: num((p) => ((isoWeek(p).year % 100) + 100) % 100, 2),
      V: num((p) => isoWeek(p).week, 2),
      j: num((p) => dayOfYear(p), 3),
      H: num((p) => p.hour, 2),
      k: num((p) => p.hour, 2, " "),
      I: num((p) => p.hour % 12 || 12, 2),
      l: num((p) => p.hour % 12 || 12, 2, " "),
      P: text((p) => (p.hour < 12 ? "am" : "pm")),
      p: text((p) => (p.hour < 12 ? "AM" : "PM")),
      M: num((p) => p.minute, 2),
      S: num((p) => p.second, 2),
      f: num((p) => p.nanos % NANOS_PER_SECOND, 9),
      s: text((p) => p.timestamp.toString()),
      Z: text((p) => p.zone),
      z: text((p) => formatOffset(p.offset, "")),
      t: "\t",
      n: "\n",
      "%": "%",
    };
    const composite: Record<string, string> = {
      D: "%m/%d/%y",
      x: "%m/%d/%y",
      F: "%Y-%m-%d",
      v: "%e-%b-%Y",
      R: "%H:%M",
      T: "%H:%M:%S",
      X: "%H:%M:%S",
      r: "%I:%M:%S %p",
      c: "%a %b %e %H:%M:%S %Y",
      "+": "%Y-%m-%dT%H:%M:%S%.f%:z",
    };
    if (next in simple) {
      items.push(simple[next]!);
    } else if (next in composite) {
      items.push(...parseFormat(composite[next]!)!);
    } else if (next === "." || /[369]/.test(next)) {
      // %.f %.3f %.6f %.9f %3f %6f %9f
      const dot = next === ".";
      const digit = dot ? chars[i + 1] : next;
      if (dot && digit === "f") {
        items.push(fraction("auto", true));
        i += 1;
      } else if (digit && /[369]/.test(digit) && chars[i + (dot ? 2 : 1)] === "f") {
        items.push(fraction(Number(digit), dot));
        i += dot ? 2 : 1;
      } else return undefined;
    } else if (next === ":") {
      let colons = 1;
      while (chars[i + colons] === ":") colons++;
      if (chars[i + colons] !== "z" || colons > 3) return undefined;
      i += colons;
      items.push((p) =>
        colons === 3 ? formatOffset(p.offset, ":").slice(0, 3) : formatOffset(p.offset, ":", colons === 2),
      );
    } else if (next === "#" && chars[i + 1] === "z") {
      i += 1;
      items.push((p) => formatOffset(p.offset, ""));
    } else return undefined;
  }
  return items;
}
