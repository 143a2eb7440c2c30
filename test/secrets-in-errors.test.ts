/**
 * Files mirrord-up reads on a config's behalf (env files, kubeconfigs, and env files again when
 * `--watch` sees them change) hold secrets, and may be links to anything (`.env -> /etc/shadow`).
 * Their problems are located (file:line:col, and the variable name where the line has one) but
 * never quoted: each case plants secret strings, runs the real binary (`validate`, `config
 * --format json`, `up`, `doctor`) and looks for them in everything it printed.
 *
 * A new case is one row in ENV_CASES or KUBE_CASES.
 */
import assert from "node:assert/strict";
import { symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runCliCaptured } from "./helpers/cli.js";
import { type Cli, runBin } from "./helpers/ps.js";
import { tempDir } from "./helpers/tmp.js";
import { FAKE_MIRRORD, nothingLeft, startUp } from "./helpers/up.js";
import { waitUntil } from "./helpers/wait.js";

interface EnvCase {
  name: string;
  /** The env file's text. */
  text: string;
  /** The config names `.env`, a link to the file holding `text` (else the file itself). */
  symlink?: boolean;
  /** Strings that must appear nowhere in the output. */
  secrets: string[];
  /** `line:col` of the first problem. */
  at: string;
  /** The variable name the message starts with, where the line has one. */
  variable?: string;
}

const SHADOW = [
  "sh4dowuser:$6$Sh4dowSalt$Sh4dowHashXyZ:19000:0:99999:7:::",
  "daem0nuser:*:19000:0:99999:7:::",
  "",
].join("\n");

const ENV_CASES: EnvCase[] = [
  {
    name: "a link to a shadow-like file: no line has '=', none is quoted",
    text: SHADOW,
    symlink: true,
    secrets: ["sh4dowuser", "Sh4dowSalt", "Sh4dowHashXyZ", "daem0nuser", "99999"],
    at: "1:11",
  },
  {
    name: "an unquoted value with a space",
    text: "GOOD=1\nDB_PASSWORD=hunter2 s3cr3t\n",
    secrets: ["hunter2", "s3cr3t"],
    at: "2:21",
    variable: "DB_PASSWORD",
  },
  {
    name: "a bad character in the name, a secret as the value",
    text: "GOOD=1\nAPI-KEY=sk_live_T0KENVALUE\n",
    secrets: ["sk_live_T0KENVALUE", "API-KEY"],
    at: "2:4",
  },
  {
    name: "a name starting with a digit, a secret as the value",
    text: "1TOKEN=sk_live_D1GITVALUE\n",
    secrets: ["sk_live_D1GITVALUE", "1TOKEN"],
    at: "1:1",
  },
  {
    name: "a bare word (a password pasted alone)",
    text: "hunter2passw0rd\n",
    secrets: ["hunter2passw0rd"],
    at: "1:16",
  },
  {
    name: "a double quote never closed: the rest of the file is the value",
    text: 'API_TOKEN="ghp_S3CRETVALUE\nNEXT=ghp_S3CRETTWO\n',
    secrets: ["ghp_S3CRETVALUE", "ghp_S3CRETTWO", "NEXT"],
    at: "1:11",
    variable: "API_TOKEN",
  },
  {
    name: "a single quote never closed",
    text: "A=1\nPASSWORD='hunt3r2quoted\n",
    secrets: ["hunt3r2quoted"],
    at: "2:10",
    variable: "PASSWORD",
  },
  {
    name: "a ${ never closed",
    text: "DSN=postgres://u:pw_S3CRET@h/${DB_NAME\n",
    secrets: ["pw_S3CRET", "postgres://", "DB_NAME"],
    at: "1:30",
    variable: "DSN",
  },
  {
    name: "an unknown escape inside a value",
    text: "SIGNING_KEY=abc\\qS3CRETESC\n",
    secrets: ["S3CRETESC", "abc", "\\q"],
    at: "1:17",
    variable: "SIGNING_KEY",
  },
  {
    name: "text after a closed quote",
    text: 'TOKEN="abc" S3CRETAFTER\n',
    secrets: ["S3CRETAFTER", "abc"],
    at: "1:13",
    variable: "TOKEN",
  },
];

const ENV_CONFIG = `services:
  web:
    env_file: .env
    run: {type: local, command: [sh, -c, 'echo "from-file=$FROM_FILE"; exec sleep 3600']}
`;

/** Runs the real binary in `dir` to its end. */
/**
 * Runs the CLI in `dir`: `up` as users start it (the bin, a process of its own); the commands that
 * only read and answer, in this process (the same CLI code, with its output captured), which keeps
 * the file's dozens of cases cheap.
 */
function runIn(dir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Cli> {
  const options = {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      TMPDIR: dir,
      MIRRORD_BIN: FAKE_MIRRORD,
      FAKE_MIRRORD_LOG: join(dir, "mirrord.log"),
      MIRRORD_UP_KUBE_TIMEOUT: "5",
      ...env,
    },
  };
  return args[0] === "up" ? runBin(args, options) : runCliCaptured(args, options);
}

function assertNoSecret(all: string, secrets: readonly string[], what: string): void {
  for (const secret of secrets)
    assert.ok(!all.includes(secret), `${what} quotes ${JSON.stringify(secret)}:\n${all}`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The message of an env-file problem: located, and naming the variable where there is one. */
function envProblem(c: EnvCase): RegExp {
  return new RegExp(`^\\.env:${c.at}: error: ${c.variable ? `${escapeRegExp(c.variable)}: ` : ""}\\S`, "m");
}

function envProject(c: EnvCase): string {
  const dir = tempDir();
  writeFileSync(join(dir, "mirrord-up.yaml"), ENV_CONFIG);
  if (c.symlink) {
    writeFileSync(join(dir, "shadow"), c.text);
    symlinkSync(join(dir, "shadow"), join(dir, ".env"));
  } else writeFileSync(join(dir, ".env"), c.text);
  return dir;
}

describe("env file contents never reach a message", { timeout: 120_000 }, () => {
  for (const c of ENV_CASES) {
    it(`${c.name}: validate, config --format json and up name ${c.at} and quote nothing`, async () => {
      const dir = envProject(c);
      const commands = [["validate"], ["config", "--format", "json"], ["up", "-k", "tester"]];
      const results = await Promise.all(commands.map((args) => runIn(dir, args)));
      results.forEach((r, i) => {
        const what = `mirrord-up ${commands[i]?.join(" ")}`;
        const all = r.stdout + r.stderr;
        assert.equal(r.code, 2, `${what}:\n${all}`);
        assert.match(r.stderr, envProblem(c), `${what}:\n${all}`);
        assertNoSecret(all, c.secrets, what);
        assert.doesNotMatch(
          all,
          /internal error|^\s*\d+ \| /m,
          `${what}: no crash, no source excerpt:\n${all}`,
        );
      });
    });
  }

  it("an env file that is a link (.env -> .env.local) is still read", async () => {
    const linked = tempDir();
    writeFileSync(join(linked, ".env.local"), "FROM_FILE=through-the-link\n");
    symlinkSync(".env.local", join(linked, ".env"));
    const run = startUp(ENV_CONFIG.replace("env_file: .env", `env_file: ${join(linked, ".env")}`));
    await run.waitForOutput("web | from-file=through-the-link");
    run.child.kill("SIGINT");
    await run.exited;
    await nothingLeft(run.marker);
  });

  it("up --watch: an env file changed to a broken one is located, never quoted", async () => {
    const run = startUp(ENV_CONFIG, { args: ["--watch"], files: { ".env": "FROM_FILE=first\n" } });
    await run.waitForOutput("web | from-file=first");
    const broken = ENV_CASES.filter((c) => !c.symlink);
    const text = broken.map((c) => c.text).join("");
    writeFileSync(join(run.dir, ".env"), text);
    const both = () => run.stdout().toString() + run.stderr();
    await waitUntil(() => /\.env:\d+:\d+: error: /.test(both()), 60_000, `a located error:\n${both()}`);
    await run.waitForOutput("mirrord-up: reload: the file is invalid, nothing changed");
    assertNoSecret(
      both(),
      broken.flatMap((c) => c.secrets),
      "up --watch",
    );
    run.child.kill("SIGINT");
    await run.exited;
    await nothingLeft(run.marker);
  });
});

interface KubeCase {
  name: string;
  /** The kubeconfig's text. */
  text: string;
  /** KUBECONFIG names a link to the file holding `text`. */
  symlink?: boolean;
  secrets: string[];
  /** What the message says, after `cannot read kubeconfig <dir>/` or the like. */
  says: RegExp;
}

const KUBE_CASES: KubeCase[] = [
  {
    name: "broken YAML under a token",
    text: [
      "apiVersion: v1",
      "users:",
      "- name: dev",
      "  user:",
      "    token: eyJS3CRETTOKEN",
      "    client-key-data: S3CRETKEYDATA",
      "      broken: [indentation",
      "clusters: []",
      "",
    ].join("\n"),
    secrets: ["eyJS3CRETTOKEN", "S3CRETKEYDATA", "client-key-data", "token:"],
    says: /cannot read kubeconfig \S*kubeconfig:7:\d+: YAML syntax error/,
  },
  {
    name: "an alias to nowhere, named like a token",
    text: "users:\n- name: dev\n  user: {token: *tok_S3CRETALIAS}\n",
    secrets: ["tok_S3CRETALIAS"],
    says: /cannot read kubeconfig \S*kubeconfig:3:\d+: YAML syntax error/,
  },
  {
    name: "an unknown tag, named like a token",
    text: "users:\n- name: dev\n  user: {token: !tok_S3CRETTAG x}\n",
    secrets: ["tok_S3CRETTAG"],
    says: /cannot read kubeconfig \S*kubeconfig:3:\d+: YAML syntax error/,
  },
  {
    name: "a duplicated key holding a token",
    text: "users:\n- name: dev\n  user:\n    token: S3CRETONE\n    token: S3CRETTWO\n",
    secrets: ["S3CRETONE", "S3CRETTWO"],
    says: /cannot read kubeconfig \S*kubeconfig:5:\d+: YAML syntax error/,
  },
  {
    name: "valid YAML, a cluster without its server but with a token",
    text: "clusters:\n- name: c\n  cluster: {token: S3CRETNOSERVER}\n",
    secrets: ["S3CRETNOSERVER"],
    says: /cannot read kubeconfig \S*kubeconfig: clusters\[0\]\.cluster\.server is missing/,
  },
  {
    name: "valid YAML, a server that is a mapping",
    text: "clusters:\n- name: c\n  cluster: {server: {token: S3CRETSERVERMAP}}\n",
    secrets: ["S3CRETSERVERMAP"],
    says: /cannot read kubeconfig \S*kubeconfig: it is not a valid kubeconfig/,
  },
  {
    name: "valid YAML, a certificate-authority that is a number",
    text: "clusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:1', certificate-authority: 987654321}\n",
    secrets: ["987654321"],
    says: /cannot read kubeconfig \S*kubeconfig: it is not a valid kubeconfig/,
  },
  {
    name: "a link to a shadow-like file",
    text: SHADOW,
    symlink: true,
    secrets: ["sh4dowuser", "Sh4dowSalt", "Sh4dowHashXyZ", "daem0nuser", "99999"],
    says: /kubeconfig \(\S*kubeconfig\) has no current-context/,
  },
];

const KUBE_CONFIG = "services:\n  api:\n    run: {command: [sh, -c, 'exec sleep 3600']}\n";

describe("kubeconfig contents never reach a message", { timeout: 120_000 }, () => {
  for (const c of KUBE_CASES) {
    it(`${c.name}: config --format json, up and doctor say ${c.says.source} and quote nothing`, async () => {
      const dir = tempDir();
      writeFileSync(join(dir, "mirrord-up.yaml"), KUBE_CONFIG);
      if (c.symlink) {
        writeFileSync(join(dir, "shadow"), c.text);
        symlinkSync(join(dir, "shadow"), join(dir, "kubeconfig"));
      } else writeFileSync(join(dir, "kubeconfig"), c.text);
      const env = { KUBECONFIG: join(dir, "kubeconfig") };
      const commands = [
        ["config", "--format", "json", "-k", "tester"],
        ["up", "-k", "tester"],
      ];
      // doctor runs beside them: it reports the kubeconfig as a check (a problem, exit 1), on stdout.
      const [results, doctor] = await Promise.all([
        Promise.all(commands.map((args) => runIn(dir, args, env))),
        runIn(dir, ["doctor", "-k", "tester"], env),
      ]);
      results.forEach((r, i) => {
        const what = `mirrord-up ${commands[i]?.join(" ")}`;
        const all = r.stdout + r.stderr;
        assert.equal(r.code, 2, `${what}:\n${all}`);
        assert.match(r.stderr, c.says, `${what}:\n${all}`);
        assertNoSecret(all, c.secrets, what);
        assert.doesNotMatch(all, /internal error/, `${what}:\n${all}`);
      });
      const all = doctor.stdout + doctor.stderr;
      assert.equal(doctor.code, 1, `mirrord-up doctor:\n${all}`);
      assert.match(doctor.stdout, c.says, `mirrord-up doctor:\n${all}`);
      assertNoSecret(all, c.secrets, "mirrord-up doctor");
    });
  }
});
