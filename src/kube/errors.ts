/** A problem talking to a cluster, phrased for the user (never with credentials in it). */
export class KubeError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = "KubeError";
  }
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
]);

export interface CallSite {
  context: string;
  server: string;
  /** What was being done: `list deployments in namespace "shop"`. */
  action: string;
}

/** Turns a client-node / fetch failure into a KubeError naming the context and server. */
export function describeKubeFailure(error: unknown, site: CallSite): KubeError {
  const where = `context "${site.context}", server ${site.server}`;
  const e = error as { code?: unknown; body?: unknown; message?: string; type?: string };
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
  return new KubeError(`cannot ${site.action} (${where}): ${firstLine(e.message ?? String(error))}`);
}

function statusMessage(body: unknown): string | undefined {
  if (typeof body !== "string") return undefined;
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    return typeof parsed.message === "string" ? parsed.message : undefined;
  } catch {
    return undefined;
  }
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? text;
}
