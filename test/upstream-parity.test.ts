/**
 * Parity with upstream `mirrord up`, on upstream's own test inputs. Each directory in
 * test/fixtures/upstream-parity/ holds one input copied from upstream's unit tests
 * (mirrord/up/src/config.rs, lib.rs) and `case.json`: the arguments, and what upstream's
 * `ServiceConfig::assemble` produces for it, written as a mirrord.json would hold it (mirrord's
 * defaults left out), derived by reading upstream's code. The test applies the rows of README's
 * "Differences from upstream" table that the case lists, and then `mirrord-up config --format
 * json` must print exactly that. Inferred targets are answered by a fake API server whose
 * deployments are named after the services.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCliCaptured } from "./helpers/cli.js";
import { startFakeKube, writeKubeconfig } from "./helpers/kube-fake.js";
import { REPO_ROOT } from "./helpers/paths.js";
import { withConfig } from "./helpers/tmp.js";

const FIXTURES = join(REPO_ROOT, "test", "fixtures", "upstream-parity");

type Json = Record<string, unknown>;

interface ServiceDoc {
  type: string;
  command: string[];
  infer_target?: boolean;
  config: Json;
}

interface Case {
  /** Where the input comes from upstream. */
  upstream_test: string;
  args: string[];
  /** Rows of the differences table that apply (see DIFFERENCES). */
  differences: (keyof typeof DIFFERENCES)[];
  notes?: string;
  exit_code: number;
  /** Texts stderr must contain (upstream's warnings and errors). */
  stderr?: string[];
  stderr_absent?: string[];
  /** The case needs no cluster: none may be asked. */
  no_cluster?: boolean;
  /** What upstream assembles: `config`'s document before the differences. */
  expected?: { key: string; services: Record<string, ServiceDoc> };
}

/** regex::escape (regex-syntax's meta characters). */
const escapeRegex = (text: string) => text.replace(/[\\.+*?()|[\]{}^$#&\-~]/g, "\\$&");

/**
 * The differences table, as edits of upstream's output. Each returns whether it changed the
 * service, so that a case cannot list a row that does not apply to it.
 */
const DIFFERENCES = {
  /** "Default filter": upstream's `baggage: .*mirrord-session={key}.*` becomes the session filter. */
  "session-filter": (config: Json, key: string): boolean => {
    const filter = dig(config, "feature", "network", "incoming", "http_filter");
    if (filter?.header_filter !== `baggage: .*mirrord-session=${key}.*`) return false;
    filter.header_filter = `^baggage:\\s*(?:.*,\\s*)?mirrord-session\\s*=\\s*${escapeRegex(key)}\\s*(?:[;,].*)?$`;
    return true;
  },
  /** "Queue splitting": upstream always writes all_wildcard; mirrord-up only with `messages`. */
  "queue-splitting-opt-in": (config: Json): boolean => {
    const feature = dig(config, "feature");
    if (feature?.split_queues !== "SplitQueuesConfig::all_wildcard(key)") return false;
    delete feature.split_queues;
    return true;
  },
  /** "magic": upstream's resolved config skips mirrord's magic step; a -f file says magic.aws false. */
  "magic-aws": (config: Json): boolean => {
    const feature = dig(config, "feature");
    if (!feature) return false;
    feature.magic = { aws: false };
    return true;
  },
};

function dig(value: Json, ...path: string[]): Json | undefined {
  let at: unknown = value;
  for (const step of path) at = (at as Json | undefined)?.[step];
  return at as Json | undefined;
}

const cases = readdirSync(FIXTURES, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

/** The fake cluster: every service name that upstream's tests leave to inference. */
const INFERRED = [
  "my-svc",
  "svc",
  "svc-a",
  "svc-b",
  "a",
  "b",
  "c",
  "cli-arg-set",
  "per-service-set",
  "common-set",
  "inferred",
  "logger",
];
const CONTEXTS = ["dev", "minikube", "common-context", "service-context", "cli-context"];

describe("parity with upstream on upstream's own test inputs", { timeout: 120_000 }, async () => {
  const kube = await startFakeKube({
    namespaces: { default: { deployments: INFERRED }, staging: { deployments: ["inferred-ns"] } },
  });

  it("covers every input of upstream's assembly, selection, resolution and template tests", () => {
    assert.ok(cases.length >= 25, `${cases.length} cases`);
  });

  for (const name of cases) {
    const spec = JSON.parse(readFileSync(join(FIXTURES, name, "case.json"), "utf8")) as Case;
    it(`${name} (${spec.upstream_test})`, async () => {
      const dir = withConfig(readFileSync(join(FIXTURES, name, "mirrord-up.yaml"), "utf8"));
      const kubeconfig = writeKubeconfig(join(dir, "kubeconfig"), {
        clusters: [{ name: "fake", server: kube.url, insecure: true }],
        contexts: CONTEXTS.map((context) => ({ name: context, cluster: "fake" })),
        current: "dev",
      });
      const before = kube.requests.length;
      const result = await runCliCaptured(["config", "--format", "json", ...spec.args], {
        cwd: dir,
        env: { KUBECONFIG: kubeconfig, MIRRORD_UP_KUBE_TIMEOUT: "5" },
      });
      assert.equal(result.code, spec.exit_code, result.stderr);
      for (const text of spec.stderr ?? [])
        assert.ok(result.stderr.includes(text), `stderr: ${result.stderr}`);
      for (const text of spec.stderr_absent ?? []) assert.ok(!result.stderr.includes(text), result.stderr);
      if (spec.no_cluster) assert.equal(kube.requests.length, before, "the cluster was asked");
      if (!spec.expected) return;

      const expected = structuredClone(spec.expected);
      for (const row of spec.differences) {
        const applied = Object.values(expected.services).map((s) => DIFFERENCES[row](s.config, expected.key));
        assert.ok(applied.some(Boolean), `difference "${row}" is listed but changes nothing`);
      }
      assert.deepStrictEqual(JSON.parse(result.stdout), expected);
    });
  }
});
