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
import type { Scenario } from "../simulator/scenario.ts";

/** The caller's variables the drill's line keeps: where Redis is (a URL, Cluster seeds or Sentinels). */
const REDIS_VARIABLES = ["REDIS_URL", "REDIS_CLUSTER_NODES", "REDIS_SENTINELS", "REDIS_SENTINEL_MASTER"];
const redisEnv = (env: Record<string, string | undefined>) =>
  Object.fromEntries(REDIS_VARIABLES.flatMap((name) => (env[name] ? [[name, env[name]]] : [])));

export const LOCAL_ROSTER = "Ada=+15550001001,Grace=+15550001002,Linus=+15550001003";
const LINE_NUMBER = "+15550009999";

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
    SUPPORT_EMAIL: "support@platform.example",
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
  let started = 0;

  async function lineFor(scenario: Scenario): Promise<string> {
    // Taken before any await: scenarios start concurrently and each needs its own files and page.
    const key = String(started++);
    const callers = scenario.calls.map((call) => call.caller);
    const partnersFile = join(dir, `partners-${key}.json`);
    writeFileSync(partnersFile, JSON.stringify(Object.fromEntries(callers.filter((c) => c.partner).map((c) => [c.number, c.partner]))));
    const ownLine = scenario.at !== undefined || scenario.schedule !== undefined || scenario.overrides.length > 0;
    const linePrefix = ownLine ? `${prefix.slice(0, -1)}.${key}:` : prefix;
    if (ownLine) ownPrefixes.push(linePrefix);
    const clock = scenario.at ? new ScenarioClock(Date.parse(scenario.at)) : null;
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

/** A line's clock for a scenario with `at:`: that instant plus the real time elapsed since the last rewind. */
class ScenarioClock {
  private origin = Date.now();

  constructor(private readonly at: number) {}

  now(): Date {
    return new Date(this.at + (Date.now() - this.origin));
  }

  rewind(): void {
    this.origin = Date.now();
  }
}
