/**
 * `route`'s arguments -> the request it asks about: `[SERVICE…] 'METHOD PATH'` with `-H` lines, or
 * a pasted `curl` command line, read as curl would send it (method, URL, the headers curl adds).
 */
import { UserError } from "../core/errors.js";
import { splitShellWords } from "../init/shell-words.js";
import type { RouteRequest } from "../plan/route.js";
import { requestProblems } from "../plan/route-plan.js";

export interface ParsedRoute {
  services: string[];
  request: RouteRequest;
  /** A port written in the URL (`http://api:8080/`), which `--port` beats. */
  urlPort?: number;
}

type Header = RouteRequest["headers"][number];

/**
 * `args` are the command's words: service names, and one request, either `METHOD PATH` (one
 * word: it has a space), a path alone (GET), a `curl …` line in one word, or `curl` and its words
 * (after `--`). `headers` are the `-H` values.
 */
export function parseRouteArgs(args: readonly string[], headers: readonly string[]): ParsedRoute {
  const curlAt = args.indexOf("curl");
  if (curlAt >= 0) return withServices(args.slice(0, curlAt), parseCurl(args.slice(curlAt + 1)), headers);
  const requestWords = args.filter((a) => /\s/.test(a.trim()) || a.startsWith("/"));
  if (requestWords.length !== 1) {
    throw new UserError({
      message:
        requestWords.length === 0
          ? "route needs a request: 'METHOD PATH' (quoted, as one argument) or a curl command line"
          : `route takes one request, not ${requestWords.length}: ${requestWords.map((w) => JSON.stringify(w)).join(", ")}`,
      hint: "e.g. mirrord-up route api 'GET /users?id=7' -H 'baggage: mirrord-session=alice'",
    });
  }
  const word = (requestWords[0] as string).trim();
  const services = args.filter((a) => a !== requestWords[0]);
  if (/^curl\s/.test(word)) {
    const split = splitShellWords(word);
    if (!split.ok) throw new UserError({ message: `the curl command line: ${split.error}` });
    return withServices(services, parseCurl(split.words.slice(1)), headers);
  }
  const [method, target, ...rest] = word.startsWith("/") ? ["GET", word] : word.split(/\s+/);
  if (rest.length > 0 || method === undefined || target === undefined) {
    throw new UserError({
      message: `${JSON.stringify(word)} is not 'METHOD PATH'`,
      hint: "a path has no spaces: percent-encode them (%20)",
    });
  }
  const parsed = /^https?:\/\//i.test(target) ? parseUrl(target, { curl: false }) : { target };
  const request: RouteRequest = {
    method,
    target: parsed.target,
    headers: parsed.host === undefined ? [] : [{ name: "Host", value: parsed.host }],
  };
  return withServices(services, { request, urlPort: parsed.port }, headers);
}

function withServices(
  services: readonly string[],
  parsed: { request: RouteRequest; urlPort?: number },
  flags: readonly string[],
): ParsedRoute {
  const custom = flags.map((h) => parseHeader(h, "-H"));
  const request = { ...parsed.request, headers: mergeHeaders(parsed.request.headers, custom) };
  const problems = requestProblems(request);
  if (problems.length > 0) throw new UserError(problems);
  return {
    services: [...services],
    request,
    ...(parsed.urlPort !== undefined && { urlPort: parsed.urlPort }),
  };
}

/** A header given as `Name: value` (curl's `-H`); `Name:` removes it, `Name;` sends it empty. */
function parseHeader(text: string, flag: string): Header | { remove: string } {
  const empty = /^([^:;\s]+);\s*$/.exec(text);
  if (empty) return { name: empty[1] as string, value: "" };
  const colon = text.indexOf(":");
  if (colon <= 0) {
    throw new UserError({
      message: `${flag} ${JSON.stringify(text)}: a header is 'Name: value'`,
      hint: "e.g. -H 'baggage: mirrord-session=alice'",
    });
  }
  const name = text.slice(0, colon);
  // Leading and trailing blanks are not part of the value (RFC 9110 5.5; httparse drops them).
  const value = text.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
  return value === "" ? { remove: name } : { name, value };
}

/** curl's own headers, then the custom ones: a custom header replaces curl's of the same name. */
function mergeHeaders(own: readonly Header[], custom: readonly (Header | { remove: string })[]): Header[] {
  const named = new Set(custom.map((h) => ("remove" in h ? h.remove : h.name).toLowerCase()));
  return [
    ...own.filter((h) => !named.has(h.name.toLowerCase())),
    ...custom.filter((h): h is Header => !("remove" in h)),
  ];
}

interface ParsedUrl {
  target: string;
  /** The Host header curl sends: the host, and the port when it is not 80. */
  host?: string;
  port?: number;
  userinfo?: string;
}

/** An http URL as curl reads it: no scheme means http; the fragment is dropped; dot segments removed. */
function parseUrl(url: string, options: { curl: boolean; pathAsIs?: boolean }): ParsedUrl {
  const m = /^(?:([A-Za-z][A-Za-z0-9+.-]*):\/\/)?([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/.exec(url);
  const scheme = (m?.[1] ?? "http").toLowerCase();
  if (!m || scheme !== "http") {
    throw new UserError({
      message: `${JSON.stringify(url)}: route asks about plain http:// requests`,
      hint: "mirrord's HTTP filter reads plain HTTP; write the URL with http://",
    });
  }
  const authority = m[2] as string;
  const at = authority.lastIndexOf("@");
  const userinfo = at >= 0 ? authority.slice(0, at) : undefined;
  const hostPort = authority.slice(at + 1);
  const hp = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(hostPort);
  if (!hp || hp[1] === "") throw new UserError({ message: `${JSON.stringify(url)}: no host in the URL` });
  const port = hp[2] ? Number(hp[2]) : undefined;
  if (port !== undefined && (port < 1 || port > 65535)) {
    throw new UserError({ message: `${JSON.stringify(url)}: ${port} is not a port` });
  }
  const rawPath = (m[3] as string) || "/";
  const path = options.curl && !options.pathAsIs ? removeDotSegments(rawPath) : rawPath;
  return {
    target: path + (m[4] ?? ""),
    host: port === undefined || port === 80 ? hp[1] : `${hp[1]}:${port}`,
    ...(port !== undefined && { port }),
    ...(userinfo !== undefined && { userinfo }),
  };
}

/** RFC 3986 5.2.4, as curl applies it unless --path-as-is. */
function removeDotSegments(path: string): string {
  const out: string[] = [];
  const segments = path.split("/").slice(1);
  segments.forEach((segment, i) => {
    const last = i === segments.length - 1;
    if (segment === "..") {
      out.pop();
      if (last) out.push("");
    } else if (segment === ".") {
      if (last) out.push("");
    } else out.push(segment);
  });
  return `/${out.join("/")}`;
}

/** curl options that take a value and leave the request as it is. */
const IGNORED_WITH_VALUE = new Set([
  "-o",
  "--output",
  "-m",
  "--max-time",
  "--connect-timeout",
  "-w",
  "--write-out",
  "--retry",
  "--retry-delay",
  "--retry-max-time",
  "--resolve",
  "--connect-to",
  "--cacert",
  "--capath",
  "-E",
  "--cert",
  "--key",
  "-D",
  "--dump-header",
  "-c",
  "--cookie-jar",
  "-Y",
  "--speed-limit",
  "-y",
  "--speed-time",
  "--limit-rate",
  "--max-redirs",
  "--trace",
  "--trace-ascii",
  "--stderr",
  "--interface",
  "--dns-servers",
]);
/** curl flags that leave the request as it is. */
const IGNORED_FLAGS = new Set([
  "-s",
  "--silent",
  "-S",
  "--show-error",
  "-v",
  "--verbose",
  "-i",
  "--include",
  "-L",
  "--location",
  "-k",
  "--insecure",
  "-f",
  "--fail",
  "--fail-with-body",
  "-g",
  "--globoff",
  "-N",
  "--no-buffer",
  "-#",
  "--progress-bar",
  "--http1.1",
  "-4",
  "--ipv4",
  "-6",
  "--ipv6",
  "-q",
  "--disable",
  "--no-progress-meter",
  "-l",
  "--list-only",
  "--tcp-nodelay",
  "--no-keepalive",
]);
/** curl options whose request route cannot know exactly. */
const REFUSED: Record<string, string> = {
  "-F": "a multipart body's boundary is random",
  "--form": "a multipart body's boundary is random",
  "-T": "an upload is not modelled",
  "--upload-file": "an upload is not modelled",
  "-x": "through a proxy the request line holds the whole URL",
  "--proxy": "through a proxy the request line holds the whole URL",
  "--compressed": "the Accept-Encoding it adds depends on how curl was built",
  "--http2": "HTTP/2 upgrade headers are not modelled",
  "--http2-prior-knowledge": "HTTP/2 is not modelled",
  "-K": "a config file's options are not read",
  "--config": "a config file's options are not read",
  "-r": "the Range header is not modelled",
  "--range": "the Range header is not modelled",
  "-z": "the time condition header is not modelled",
  "--time-cond": "the time condition header is not modelled",
};
const SHORT_WITH_VALUE = new Set([
  "X",
  "H",
  "d",
  "A",
  "e",
  "b",
  "u",
  "F",
  "T",
  "x",
  "o",
  "m",
  "w",
  "E",
  "D",
  "c",
  "Y",
  "y",
  "K",
  "r",
  "z",
]);
const DATA = new Set([
  "-d",
  "--data",
  "--data-raw",
  "--data-binary",
  "--data-ascii",
  "--data-urlencode",
  "--json",
]);

/** curl's words (after `curl`) -> the request it sends. */
function parseCurl(words: readonly string[]): { request: RouteRequest; urlPort?: number } {
  const options = splitShortOptions(words);
  let method: string | undefined;
  let head = false;
  let get = false;
  let pathAsIs = false;
  let json = false;
  let dataForm = false;
  const data: string[] = [];
  const own: Header[] = [];
  const custom: (Header | { remove: string })[] = [];
  const urls: string[] = [];
  for (let i = 0; i < options.length; i++) {
    const word = options[i] as string;
    const value = () => {
      const next = options[++i];
      if (next === undefined) throw new UserError({ message: `curl ${word} needs a value` });
      return next;
    };
    if (!word.startsWith("-") || word === "-") {
      urls.push(word);
      continue;
    }
    if (word in REFUSED)
      throw new UserError({
        message: `curl ${word}: route cannot tell the request it sends (${REFUSED[word]})`,
      });
    if (IGNORED_FLAGS.has(word)) continue;
    if (IGNORED_WITH_VALUE.has(word)) {
      value();
      continue;
    }
    switch (word) {
      case "-X":
      case "--request":
        method = value();
        break;
      case "-H":
      case "--header": {
        const text = value();
        if (text.startsWith("@"))
          throw new UserError({ message: `curl ${word} ${text}: headers from a file are not read` });
        custom.push(parseHeader(text, word));
        break;
      }
      case "-A":
      case "--user-agent":
        own.push({ name: "User-Agent", value: value() });
        break;
      case "-e":
      case "--referer":
        own.push({ name: "Referer", value: value() });
        break;
      case "-b":
      case "--cookie": {
        const cookie = value();
        if (!cookie.includes("="))
          throw new UserError({ message: `curl ${word} ${cookie}: cookies from a file are not read` });
        own.push({ name: "Cookie", value: cookie });
        break;
      }
      case "-u":
      case "--user": {
        const user = value();
        if (!user.includes(":"))
          throw new UserError({
            message: `curl ${word} ${user}: curl would ask for the password; give user:password`,
          });
        own.push(basicAuth(user));
        break;
      }
      case "--url":
        urls.push(value());
        break;
      case "-I":
      case "--head":
        head = true;
        break;
      case "-G":
      case "--get":
        get = true;
        break;
      case "--path-as-is":
        pathAsIs = true;
        break;
      default:
        if (DATA.has(word)) {
          const text = value();
          if (text.startsWith("@") && word !== "--data-raw") {
            throw new UserError({
              message: `curl ${word} ${text}: data from a file is not read`,
              hint: "paste the data itself",
            });
          }
          data.push(word === "--data-urlencode" ? urlencodeData(text) : text);
          if (word === "--json") json = true;
          else dataForm = true;
          break;
        }
        throw new UserError({
          message: `curl ${word}: an option route does not know`,
          hint: "route reads -X, -H, -d and its kin, --json, -G, -I, -A, -e, -b, -u and --url; leave other options out",
        });
    }
  }
  if (urls.length !== 1) {
    throw new UserError({
      message:
        urls.length === 0
          ? "the curl command line has no URL"
          : "the curl command line has more than one URL",
    });
  }
  const url = parseUrl(urls[0] as string, { curl: true, pathAsIs });
  let target = url.target;
  const body = data.join("&");
  if (get && data.length > 0) target += (target.includes("?") ? "&" : "?") + body;
  const sendsBody = data.length > 0 && !get;
  const headers: Header[] = [
    ...(url.host === undefined ? [] : [{ name: "Host", value: url.host }]),
    ...(url.userinfo !== undefined ? [basicAuth(decodeURIComponent(url.userinfo))] : []),
    { name: "Accept", value: json ? "application/json" : "*/*" },
    ...own,
    ...(sendsBody
      ? [
          { name: "Content-Length", value: String(Buffer.byteLength(body)) },
          {
            name: "Content-Type",
            value: json && !dataForm ? "application/json" : "application/x-www-form-urlencoded",
          },
        ]
      : []),
  ];
  const request: RouteRequest = {
    method: method ?? (head ? "HEAD" : sendsBody ? "POST" : "GET"),
    target,
    headers: mergeHeaders(headers, custom),
  };
  return { request, ...(url.port !== undefined && { urlPort: url.port }) };
}

/** `-sSL` -> `-s -S -L`; `-XPOST` -> `-X POST`; `-Hx` -> `-H x`. */
function splitShortOptions(words: readonly string[]): string[] {
  const out: string[] = [];
  for (const word of words) {
    if (!/^-[^-]./.test(word)) {
      out.push(word);
      continue;
    }
    for (let j = 1; j < word.length; j++) {
      const letter = word[j] as string;
      out.push(`-${letter}`);
      if (SHORT_WITH_VALUE.has(letter)) {
        if (j + 1 < word.length) out.push(word.slice(j + 1));
        break;
      }
    }
  }
  return out;
}

function basicAuth(user: string): Header {
  return { name: "Authorization", value: `Basic ${Buffer.from(user).toString("base64")}` };
}

/** curl's --data-urlencode: `content`, `=content`, `name=content` (content encoded); `@file` forms are refused earlier. */
function urlencodeData(text: string): string {
  const encode = (s: string) =>
    encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const eq = text.indexOf("=");
  if (eq < 0) return encode(text);
  return eq === 0 ? encode(text.slice(1)) : `${text.slice(0, eq)}=${encode(text.slice(eq + 1))}`;
}
