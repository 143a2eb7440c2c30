/**
 * A problem talking to a cluster, phrased for the user. Every message about a cluster goes
 * through here, and so through one sanitizer: URLs lose their user info, query and fragment, and
 * text that may come from a kubeconfig or a credential plugin is never quoted.
 */
import { UserError } from "../core/errors.js";

/** A cluster problem for the user; its message and hint are sanitized (see `redactUrls`). */
export class KubeError extends UserError {
  readonly hint?: string;

  constructor(message: string, hint?: string) {
    const redactedHint = hint === undefined ? undefined : redactUrls(hint);
    super({ message: redactUrls(message), ...(redactedHint !== undefined && { hint: redactedHint }) });
    this.name = "KubeError";
    this.hint = redactedHint;
  }
}

/**
 * `https://user:pw@host:1/p?token=x#f` -> `https://host:1/p`: user info, query and fragment can
 * carry credentials (`?access_token=`), so they never reach a message.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    parsed.search = "";
    parsed.hash = "";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    // Not a URL `new URL` accepts: drop everything that could be a credential all the same.
    return url.replace(/\/\/[^/?#]*@/, "//").replace(/[?#].*$/, "");
  }
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>`]+/gi;

/** Every URL in `text` passed through `redactUrl`. */
export function redactUrls(text: string): string {
  return text.replace(URL_IN_TEXT, (url) => redactUrl(url));
}

const TLS_CODES = new Set([
  "EPROTO",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "CERT_SIGNATURE_FAILURE",
]);

const UNREACHABLE_CODES = new Set([
  "ECONNREFUSED",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ECONNRESET",
  "EAI_AGAIN",
  "ETIMEDOUT",
]);

export interface CallSite {
  context: string;
  /** The API server, already passed through `redactUrl`. */
  server: string;
  /** What was being done: `list deployments in namespace "shop"`. */
  action: string;
  /** The credential plugin (`users[].user.exec.command`) of the context's user, if it has one. */
  credentialPlugin?: string;
}

/** Turns a client-node / fetch failure into a KubeError naming the context and server. */
export function describeKubeFailure(error: unknown, site: CallSite): KubeError {
  const where = `context "${site.context}", server ${site.server}`;
  const e = error as { code?: unknown; body?: unknown; message?: string; syscall?: unknown };
  if (typeof e.code === "number") {
    const status = statusMessage(e.body);
    if (e.code === 401) {
      return new KubeError(
        `the API server rejected the credentials of ${where} (401 Unauthorized)`,
        "log in to the cluster again: the token or certificate may have expired",
      );
    }
    if (e.code === 403) {
      return new KubeError(
        `not allowed to ${site.action} (${where}): 403 Forbidden${status ? `: ${status}` : ""}`,
        "ask for list access, or give the service a target.path so no lookup is needed",
      );
    }
    return new KubeError(`cannot ${site.action} (${where}): HTTP ${e.code}${status ? `: ${status}` : ""}`);
  }
  const code = typeof e.code === "string" ? e.code : undefined;
  if (code && TLS_CODES.has(code)) {
    return new KubeError(
      `TLS error talking to the API server (${where}): ${code}`,
      "if the cluster uses a self-signed certificate, set `common.accept_invalid_certificates: true` in mirrord-up.yaml",
    );
  }
  if (code && UNREACHABLE_CODES.has(code)) {
    return new KubeError(
      `cannot reach the API server (${where}): ${code}`,
      "is the cluster up, and are you on its network (VPN)?",
    );
  }
  if (site.credentialPlugin !== undefined) return pluginFailure(e, code, site, where);
  // Anything else: only what is known to hold no secret (an error code); client-node's messages
  // can quote a request URL with its query, or a response.
  return new KubeError(
    `cannot ${site.action} (${where}): ${code ?? errorKind(error)}`,
    `\`kubectl --context ${site.context} get namespaces\` may show the cause`,
  );
}

/**
 * The context's user gets its token from a credential plugin, and the request failed before it
 * reached the server: the plugin failed. What it printed is never shown (it may be a token).
 */
function pluginFailure(
  e: { message?: string; syscall?: unknown },
  code: string | undefined,
  site: CallSite,
  where: string,
): KubeError {
  const plugin = `the credential plugin \`${site.credentialPlugin}\` of ${where}`;
  const tryIt = `run \`${site.credentialPlugin}\` yourself (as your kubeconfig calls it) to see its messages; mirrord-up does not show them, as they may hold credentials`;
  if (code === "ENOENT" && typeof e.syscall === "string" && e.syscall.startsWith("spawn")) {
    return new KubeError(`${plugin} was not found (ENOENT)`, "install it, or check PATH");
  }
  if (code) return new KubeError(`${plugin} could not run (${code})`, tryIt);
  if (e instanceof SyntaxError) {
    return new KubeError(`${plugin} printed something that is not an ExecCredential (JSON)`, tryIt);
  }
  return new KubeError(`${plugin} failed`, tryIt);
}

/** The class of an error (`TypeError`), never its message. */
function errorKind(error: unknown): string {
  if (error instanceof Error) return error.name === "Error" ? "unexpected error" : error.name;
  return "unexpected error";
}

function statusMessage(body: unknown): string | undefined {
  if (typeof body !== "string") return undefined;
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed.message === "string" ? firstLine(parsed.message) : undefined;
  } catch {
    return undefined;
  }
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}
