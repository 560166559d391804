import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { loadConfig } from "../config.ts";
import { connectRedis, deleteByPrefix, requireRedis } from "../store/redis.ts";
import { startLine, type RunningLine } from "../server.ts";
import { createServices, startServiceWorkers } from "../services.ts";
import { startSmtpCapture, startStatusPage, startWebhookCapture } from "../simulator/capture.ts";
import type { DrillTarget } from "../simulator/scenario-runner.ts";
import { span } from "../simulator/mail.ts";
import type { Scenario } from "../simulator/scenario.ts";

/** The caller's variables the drill's line keeps: where Redis is (a URL, Cluster seeds or Sentinels). */
const REDIS_VARIABLES = ["REDIS_URL", "REDIS_CLUSTER_NODES", "REDIS_SENTINELS", "REDIS_SENTINEL_MASTER"];
const redisEnv = (env: Record<string, string | undefined>) =>
  Object.fromEntries(REDIS_VARIABLES.flatMap((name) => (env[name] ? [[name, env[name]]] : [])));

export const LOCAL_ROSTER = "Ada=+15550001001,Grace=+15550001002,Linus=+15550001003";
const LINE_NUMBER = "+15550009999";
const SUPPORT_EMAIL = "support@platform.example";
// How long the drill waits for a promoted close job to run (real time): a worker takes it at once.
const DUE_JOB_WAIT_MS = 5_000;

/**
 * A whole line on this machine for a drill: the line's HTTP server and its workers on free ports, their own
 * Redis prefix (removed afterwards), and local catchers for what leaves: SMTP, the mobilisation webhook, and
 * a status page the scenario sets. Each scenario gets a line configured as it says (partners, drill
 * callers, status page); they share the workers, Redis and catchers. A scenario that arranges the on-call
 * (`at:`, `schedule:`, overrides) gets a line of its own in Redis too (its own prefix and workers): its
 * clock and overrides must not reach the other scenarios' lines, which keep real time and the fixed roster.
 */
export async function startLocalStack(options: { env: Record<string, string | undefined> }) {
  // A hash tag, so the same prefix serves a single Redis, Sentinel and Cluster alike.
  const prefix = `{drill-${randomBytes(4).toString("hex")}}:`;
  const log = pino({ level: "silent" });
  const [smtp, hook, page] = await Promise.all([startSmtpCapture(), startWebhookCapture(), startStatusPage()]);
  const secrets = { authToken: randomBytes(16).toString("hex"), accountSid: `AC${randomBytes(16).toString("hex")}`, apiToken: randomBytes(24).toString("hex") };
  const dir = mkdtempSync(join(tmpdir(), "emergency-line-drill-"));

  const env = (extra: Record<string, string> = {}) => ({
    TWILIO_ACCOUNT_SID: secrets.accountSid,
    TWILIO_AUTH_TOKEN: secrets.authToken,
    CONSOLE_TOKEN: secrets.apiToken,
    ...redisEnv(options.env),
    REDIS_PREFIX: prefix,
    ENGINEERS: LOCAL_ROSTER,
    SMTP_URL: smtp.url,
    MOBILISE_WEBHOOK_URL: `${hook.base}/oncall`,
    MOBILISE_DRILL_WEBHOOK_URL: `${hook.base}/drill`,
    SUPPORT_EMAIL,
    FOLLOWUP_FROM: "Emergency line <oncall@platform.example>",
    // The simulator delivers transcriptions right after the call; waiting longer would only slow the drill.
    TRANSCRIPTION_WAIT_SECONDS: "5",
    FOLLOWUP_RETRY_DELAY_MS: "200",
    // A drill places the same scenario's calls again and again in seconds (--chaos runs every order): each run
    // must be judged on its own, not grouped with the last one as a repeat caller would be.
    MISUSE_GROUP_MINUTES: "0",
    LOG_LEVEL: "silent",
    ...extra,
  });

  const workerConfig = loadConfig(env({ SPOOL_FILE: join(dir, "spool-workers.jsonl") }));
  const redis = connectRedis(workerConfig);
  // Every scenario's line shares this connection, each with its journal's listener: as many as scenarios run
  // at once, which is not a leak (each is removed when its line stops).
  redis.setMaxListeners(0);
  // Without Redis the local line would answer from its fallbacks and every scenario would wait for outcomes
  // that never come: fail at once instead (RedisUnreachableError, exit code 2 in the CLI).
  const where = workerConfig.REDIS_CLUSTER_NODES.length ? `REDIS_CLUSTER_NODES=${workerConfig.REDIS_CLUSTER_NODES.join(",")}` : workerConfig.REDIS_SENTINELS.length ? `REDIS_SENTINELS=${workerConfig.REDIS_SENTINELS.join(",")}` : workerConfig.REDIS_URL;
  await requireRedis(redis, where).catch(async (error: unknown) => {
    redis.disconnect();
    await Promise.all([smtp.close(), hook.close(), page.close()]).catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  const services = createServices({ config: workerConfig, redis, log });
  const workers = startServiceWorkers(services, log);
  const lines: RunningLine[] = [];
  const ownPrefixes: string[] = [];
  const clocks = new Map<string, ScenarioClock>();
  const running = new Map<string, RunningLine>();
  let started = 0;

  async function lineFor(scenario: Scenario): Promise<string> {
    // Taken before any await: scenarios start concurrently and each needs its own files and page.
    const key = String(started++);
    const callers = scenario.calls.map((call) => call.caller);
    const mail = scenario.emails.length > 0;
    const partnersFile = join(dir, `partners-${key}.json`);
    writeFileSync(partnersFile, JSON.stringify(Object.fromEntries(callers.filter((c) => c.partner).map((c) => [c.number, c.partner]))));
    // A mail scenario's line has its own workers too: their Message-ID domain (its PUBLIC_BASE_URL's host)
    // is what replies thread by, and its clock (moved on for a later email's at:) is theirs.
    const ownLine = scenario.at !== undefined || scenario.schedule !== undefined || scenario.overrides.length > 0 || mail;
    const linePrefix = ownLine ? `${prefix.slice(0, -1)}.${key}:` : prefix;
    if (ownLine) ownPrefixes.push(linePrefix);
    const clock = scenario.at ? new ScenarioClock(Date.parse(scenario.at)) : mail ? new ScenarioClock(Date.now()) : null;
    const line = await startLine({
      config: (port) =>
        loadConfig(
          env({
            PORT: String(port),
            PUBLIC_BASE_URL: `http://127.0.0.1:${port}`,
            PARTNERS_FILE: partnersFile,
            DRILL_CALLERS: [...new Set(callers.filter((c) => c.drill).map((c) => c.number))].join(","),
            STATUSPAGE_URL: page.urlFor(key, scenario.statusPage.incident),
            SPOOL_FILE: join(dir, `spool-${key}.jsonl`),
            REDIS_PREFIX: linePrefix,
            ...(scenario.schedule && { SCHEDULE_FILE: scenario.schedule }),
            // The line's own SMTP listener on a free port, taking mail for SUPPORT_EMAIL as an MX would.
            ...(mail && {
              INBOUND_SMTP_PORT: "0",
              DRILL_SENDERS: [...new Set(scenario.emails.filter((e) => e.drill).map((e) => e.from.toLowerCase()))].join(","),
            }),
          }),
        ),
      redis,
      log,
      port: 0,
      host: "127.0.0.1",
      // The shared workers serve the shared prefix; a line of its own has its own, on its own clock.
      workers: ownLine,
      now: clock ? () => clock.now() : undefined,
    });
    lines.push(line);
    running.set(line.url, line);
    if (clock) clocks.set(line.url, clock);
    return line.url;
  }

  const target: DrillTarget = {
    lineFor,
    apiToken: secrets.apiToken,
    authToken: secrets.authToken,
    accountSid: secrets.accountSid,
    lineNumber: LINE_NUMBER,
    capture: { mails: smtp.messages, posts: hook.posts },
    controlsStatusPage: true,
    controlsOnCall: true,
    rewind: (line) => clocks.get(line)?.rewind(),
    mailDoor: (line) => {
      const smtpPort = running.get(line)?.smtp?.port;
      return smtpPort === undefined ? null : { host: "127.0.0.1", port: smtpPort, to: SUPPORT_EMAIL };
    },
    advanceClock: async (line, seconds) => {
      const clock = clocks.get(line);
      const own = running.get(line);
      if (!clock || !own) throw new Error(`the line at ${line} has no clock of its own to move`);
      const moved = clock.advanceTo(seconds);
      return `${moved}; ${await runDueCloses(own)}`;
    },
  };

  return {
    target,
    prefix,
    redis,
    async close() {
      for (const line of lines) await line.stop();
      await workers.close();
      await services.close();
      await Promise.all([smtp.close(), hook.close(), page.close()]);
      for (const own of [prefix, ...ownPrefixes]) await deleteByPrefix(redis, own);
      redis.disconnect();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The case holds that are due on the line's clock, run now: every delayed close job is promoted, and each
 * checks its own deadline against the line's clock (src/followup/jobs/case-close.ts), so one not yet due
 * goes back to waiting; this waits (bounded) until each has run or waits again.
 */
async function runDueCloses(line: RunningLine): Promise<string> {
  const jobs = await line.queues.caseClose.getDelayed();
  await Promise.all(jobs.map((job) => job.promote()));
  const deadline = Date.now() + DUE_JOB_WAIT_MS;
  const states = async () => Promise.all(jobs.map(async (job) => (await line.queues.caseClose.getJob(job.id!))?.getState() ?? "removed"));
  let seen = await states();
  while (seen.some((state) => ["waiting", "active", "prioritized"].includes(state)) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    seen = await states();
  }
  const count = (state: string) => seen.filter((s) => s === state).length;
  return jobs.length ? `${jobs.length} pending case-close job(s) run: ${count("completed")} done, ${count("delayed")} not due yet` : "no case hold pending";
}

/**
 * A drill line's own clock: `at` (the scenario's instant, or the line's start) plus the real time elapsed
 * since the last rewind, plus the jumps a later email's `at:` made.
 */
export class ScenarioClock {
  private origin = Date.now();
  private jumped = 0;

  constructor(private readonly at: number) {}

  now(): Date {
    return new Date(this.at + (Date.now() - this.origin) + this.jumped);
  }

  rewind(): void {
    this.origin = Date.now();
    this.jumped = 0;
  }

  /** Jumps to `seconds` after the start unless the clock is past it already (it never runs back here). */
  advanceTo(seconds: number): string {
    const ahead = this.at + seconds * 1000 - this.now().getTime();
    if (ahead > 0) this.jumped += ahead;
    const at = (this.now().getTime() - this.at) / 1000;
    return ahead > 0 ? `line clock moved on ${span(ahead / 1000)} to +${span(at)}` : `line clock already at +${span(at)}`;
  }
}
