import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Config } from "./config.ts";
import { CaseDesk } from "./followup/cases.ts";
import { FollowupQueues } from "./followup/queues.ts";
import { FollowupState } from "./followup/state.ts";
import { startWorkers } from "./followup/workers.ts";
import { Incidents } from "./incidents/incidents.ts";
import { Journal, Spool } from "./incidents/journal.ts";
import { Timeline } from "./incidents/timeline.ts";
import { CallSessions } from "./line/sessions.ts";
import { CallerUsage } from "./roster/caller-usage.ts";
import { Roster } from "./roster/roster.ts";
import { redisKeys } from "./redis.ts";

/** The stores and queues every process (web, worker) shares, built once over one Redis connection. */
export function createServices({ config, redis, log, now = () => new Date() }: { config: Config; redis: Redis; log: Logger; now?: () => Date }) {
  const keys = redisKeys(config.REDIS_PREFIX);
  const queues = new FollowupQueues(redis, keys.bull(), { attempts: config.FOLLOWUP_ATTEMPTS, delayMs: config.FOLLOWUP_RETRY_DELAY_MS });
  const journal = new Journal(redis, keys, new Spool(config.SPOOL_FILE), (id, emailDelayMs) => queues.enqueueForIncident(id, { emailDelayMs }), log);
  const sessions = new CallSessions(redis, keys, journal);
  const timeline = new Timeline(redis, keys, journal);
  const followup = new FollowupState(redis, keys);
  const usage = new CallerUsage(redis, keys);
  const roster = new Roster(redis, keys, config.ENGINEERS);
  const incidents = new Incidents({
    redis,
    keys,
    sessions,
    timeline,
    queues,
    followup,
    journal,
    transcriptionWaitMs: config.TRANSCRIPTION_WAIT_SECONDS * 1000,
    misuseLimit: config.MISUSE_CALLS_PER_DAY,
    now,
  });
  journal.onTranscribed = incidents.transcriptionArrived;
  const cases = new CaseDesk({ incidents, followup, queues, timeline, holdMs: config.CASE_HOLD_HOURS * 3600_000, now });
  return {
    config,
    redis,
    keys,
    journal,
    usage,
    roster,
    sessions,
    timeline,
    queues,
    followup,
    incidents,
    cases,
    now,
    async close() {
      journal.close();
      await queues.close();
    },
  };
}
export type Services = ReturnType<typeof createServices>;

export function startServiceWorkers(services: Services, log: Logger) {
  return startWorkers({ ...services, prefix: services.keys.bull(), log });
}
