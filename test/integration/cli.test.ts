import { execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { waitFor } from "../helpers/receivers.ts";
import { baseEnv } from "../helpers/line.ts";
import { deleteKeys, REDIS_URL, testRedis, uniquePrefix } from "../helpers/redis.ts";

const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
const SCENARIO = "drills/01-engineer-1-accepts.yaml";

/** `emergency-line ARGS` as a user runs it; resolves with the exit code and the output, never rejects. */
function cli(args: string[], env: Record<string, string | undefined> = process.env) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
    execFile(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], { env: { ...env, REDIS_URL } }, (error, stdout, stderr) =>
      done({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("emergency-line", () => {
  it("prints its version from package.json", async () => {
    const run = await cli(["--version"]);
    expect(run).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });

  it("names the defaults in its help and points to the README", async () => {
    expect((await cli(["--help"])).stdout).toContain("README.md");
    const drill = (await cli(["drill", "--help"])).stdout;
    expect(drill).toContain("(default: drills/)");
    expect(drill).toContain('(default: "+15550009999")');
    expect(drill).toContain("junit:out.xml");
    expect(drill).toContain("README.md");
  });
});

describe("emergency-line drill", () => {
  it("refuses a scenario path that does not exist with exit 2 and one line naming it", async () => {
    const run = await cli(["drill", "drills/no-such-scenario.yaml"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe("emergency-line drill: no such scenario file or folder: drills/no-such-scenario.yaml\n");
  });

  it("takes `--report FORMAT FILE` as exactly two words and `--report FORMAT:FILE` as one: the scenario after them is drilled", async () => {
    const dir = mkdtempSync(join(tmpdir(), "el-report-"));
    const run = await cli(["drill", "--report", `json:${join(dir, "a.json")}`, "--report", "junit", join(dir, "a.xml"), SCENARIO]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("drilling 1 scenario against");
    expect(readFileSync(join(dir, "a.xml"), "utf8")).toContain("<testcase");
    expect(JSON.parse(readFileSync(join(dir, "a.json"), "utf8")).scenarios).toHaveLength(1);
  }, 30_000);

  it("refuses a report format it does not know, naming it", async () => {
    const run = await cli(["drill", "--report", "xml:out.xml", SCENARIO]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--report format must be json, junit or html, not "xml"');
  });
});

describe("npm start with a .env", () => {
  /** A folder that looks like a fresh checkout (the project's files linked in), with the given .env. */
  function checkout(dotenv: string | null): string {
    const dir = mkdtempSync(join(tmpdir(), "el-checkout-"));
    for (const name of ["node_modules", "src", "tsconfig.json"]) symlinkSync(resolve(name), join(dir, name));
    copyFileSync("package.json", join(dir, "package.json"));
    if (dotenv !== null) writeFileSync(join(dir, ".env"), dotenv);
    return dir;
  }
  // Nothing of the test's own environment may stand in for what .env must provide.
  const bareEnv = { PATH: process.env.PATH, HOME: process.env.HOME ?? tmpdir() };
  const npmStart = (dir: string) => spawn("npm", ["start", "--silent"], { cwd: dir, env: bareEnv, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const exitOf = async (child: ReturnType<typeof npmStart>) => {
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, "exit")) as [number];
    return { code, stderr };
  };

  it("refuses the copied .env.example, naming each placeholder still to set", async () => {
    const { code, stderr } = await exitOf(npmStart(checkout(readFileSync(".env.example", "utf8"))));
    expect(code).toBe(78);
    for (const name of ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "CONSOLE_TOKEN", "ENGINEERS", "SUPPORT_EMAIL"]) {
      expect(stderr).toContain(`${name}: looks like the placeholder from .env.example: set the real value`);
    }
  }, 30_000);

  it("without a .env, says which variables are missing rather than failing on the file", async () => {
    const { code, stderr } = await exitOf(npmStart(checkout(null)));
    expect(code).toBe(78);
    expect(stderr).toContain("ENGINEERS: required");
  }, 30_000);

  it("starts from a filled-in .env and logs one summary of who is dialled and where pages and mail go", async () => {
    const prefix = uniquePrefix("npm-start");
    const filled = readFileSync(".env.example", "utf8")
      .replace(/^TWILIO_ACCOUNT_SID=.*$/m, `TWILIO_ACCOUNT_SID=AC${"b".repeat(32)}`)
      .replace(/^TWILIO_AUTH_TOKEN=.*$/m, "TWILIO_AUTH_TOKEN=a-real-looking-token")
      .replace(/^CONSOLE_TOKEN=.*$/m, "CONSOLE_TOKEN=a-real-looking-console-token")
      .replace(/^ENGINEERS=.*$/m, "ENGINEERS=Ada=+15550001001,Grace=+15550001002")
      .replace(/^FOLLOWUP_FROM=.*$/m, "FOLLOWUP_FROM=Emergency line <oncall@platform.test>")
      .replace(/^SUPPORT_EMAIL=.*$/m, "SUPPORT_EMAIL=support@platform.test");
    const dir = checkout(`${filled}\nPORT=0\nREDIS_URL=${REDIS_URL}\nREDIS_PREFIX=${prefix}\nRUN_WORKERS=false\nSPOOL_FILE=${join(tmpdir(), `${prefix}spool.jsonl`)}\n`);
    const redis = testRedis();
    // A roster left in Redis by an earlier deployment with other engineers: the new ENGINEERS must win, loudly.
    await redis.set(`${prefix}roster`, JSON.stringify([{ name: "Old", number: "+15550001009" }]));
    const child = npmStart(dir);
    const entries: { msg: string; [field: string]: unknown }[] = [];
    createInterface({ input: child.stdout! }).on("line", (line) => entries.push(JSON.parse(line)));
    try {
      await waitFor(() => entries.some((e) => e.msg === "emergency line listening") || child.exitCode !== null, "the line to start", 20_000);
      const summaries = entries.filter((e) => e.msg.startsWith("emergency line up:"));
      expect(summaries).toHaveLength(1);
      const { msg } = summaries[0]!;
      expect(msg).toContain("dials 1 Ada +1********01, 2 Grace +1********02 (roster from ENGINEERS)");
      expect(msg).toContain("paging OFF: MOBILISE_WEBHOOK_URL unset");
      expect(msg).toContain("mail via 127.0.0.1:1025");
      expect(msg).toContain("0 drill callers");
      expect(msg).toContain("status page (STATUSPAGE_URL unset)");
      expect(msg).toContain("workers (RUN_WORKERS=false");
      expect(entries).toContainEqual(expect.objectContaining({ level: 40, msg: "roster: ENGINEERS changed since the roster was last seeded: using ENGINEERS", was: ["Old"], now: ["Ada", "Grace"] }));
    } finally {
      process.kill(-child.pid!, "SIGTERM");
      await once(child, "exit");
      await deleteKeys(redis, prefix);
      redis.disconnect();
    }
  }, 30_000);
});

describe("emergency-line worker", () => {
  it("keeps a heartbeat file fresh while it runs and removes it when stopped", async () => {
    const prefix = uniquePrefix("heartbeat");
    const heartbeat = join(mkdtempSync(join(tmpdir(), "el-heartbeat-")), "var", "worker.heartbeat");
    const worker = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", "worker", "--heartbeat", heartbeat], {
      env: { ...process.env, ...baseEnv(prefix, { LOG_LEVEL: "info" }) },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    worker.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    const redis = testRedis();
    try {
      await waitFor(() => existsSync(heartbeat) || worker.exitCode !== null, "the first heartbeat", 20_000);
      expect(existsSync(heartbeat)).toBe(true);
      expect(output).toContain("follow-up worker up: paging OFF: MOBILISE_WEBHOOK_URL unset");
      const exited = once(worker, "exit");
      worker.kill("SIGTERM");
      expect((await exited)[0]).toBe(0);
      expect(existsSync(heartbeat)).toBe(false);
    } finally {
      if (worker.exitCode === null) worker.kill("SIGKILL");
      await deleteKeys(redis, prefix);
      redis.disconnect();
    }
  }, 30_000);
});
