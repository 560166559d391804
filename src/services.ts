import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { hangupDecision } from "./call/flow.ts";
import type { Config } from "./config.ts";
import { MailDesk } from "./email/intake.ts";
import { createStaffServices } from "./console/staff/services.ts";
import { CaseDesk } from "./followup/cases.ts";
import { Correspondence } from "./followup/correspondence.ts";
import { IncidentViews } from "./followup/incident-view.ts";
import { pagingStatus } from "./followup/paging.ts";
import { FollowupQueues } from "./followup/queues.ts";
import { messageDomain } from "./followup/thread-message.ts";
import { startWorkers } from "./followup/workers.ts";
import { IncidentSearch } from "./incidents/incident-search.ts";
import { Incidents } from "./incidents/incidents.ts";
import { createMetrics, drillLabel } from "./metrics.ts";
import { CallerUsage } from "./store/caller-usage.ts";
import { CaseNotes } from "./store/case-notes.ts";
import { DrillReports } from "./store/drill-reports.ts";
import { FollowupState } from "./store/followup-state.ts";
import { Journal, type SpoolStatus } from "./store/journal.ts";
import { MailStore } from "./store/mail-store.ts";
import { OnCall } from "./store/oncall.ts";
import { Overrides } from "./store/overrides.ts";
import { redisKeys } from "./store/redis.ts";
import { Roster } from "./store/roster.ts";
import { CallSessions } from "./store/sessions.ts";
import { Spool } from "./store/spool.ts";
import { Timeline } from "./store/timeline.ts";

/**
 * The stores, queues and capabilities every process (web, worker) shares, built once over one Redis
 * connection, bottom layer first: each gets what it needs in its constructor (docs/architecture.md, "Layers").
 */
export function createServices({ config, redis, log, now = () => new Date() }: { config: Config; redis: Redis; log: Logger; now?: () => Date }) {
  const keys = redisKeys(config.REDIS_PREFIX);
  const queues = new FollowupQueues(redis, keys.bull(), { attempts: config.FOLLOWUP_ATTEMPTS, delayMs: config.FOLLOWUP_RETRY_DELAY_MS }, log);
  let spool = (): SpoolStatus => ({ spooled: 0, unspooled: 0, spoolFile: "ok" });
  const metrics = createMetrics({ queues: () => queues.all(), spool: () => spool() });
  const transcriptionWaitMs = config.TRANSCRIPTION_WAIT_SECONDS * 1000;
  const journal = new Journal(
    redis,
    keys,
    new Spool(config.SPOOL_FILE),
    {
      onHangup: (stage) => hangupDecision(stage, transcriptionWaitMs),
      incidentRaised: async ({ incidentId, callSid, outcome, emailDelayMs, first }) => {
        await queues.enqueueForIncident(incidentId, { emailDelayMs });
        if (first) metrics.calls.inc({ outcome, drill: drillLabel((await sessions.meta(callSid).catch(() => null))?.drill ?? false) });
      },
      transcriptionStored: (callSid) => queues.transcriptionStored(callSid),
    },
    log,
  );
  spool = () => journal.status;
  const sessions = new CallSessions(redis, keys, journal);
  const timeline = new Timeline(redis, keys, journal);
  const followup = new FollowupState(redis, keys);
  const usage = new CallerUsage(redis, keys, config.MISUSE_GROUP_MINUTES * 60_000);
  // With SCHEDULE_FILE the roster is not read: the schedule says who is on call.
  const roster = new Roster(redis, keys, config.ENGINEERS ?? []);
  const oncall = new OnCall(roster, new Overrides(redis, keys, now), config.schedule);
  const reports = new DrillReports(redis, keys);
  const incidents = new Incidents({ redis, keys, sessions, timeline, journal, transcriptionWaitMs, misuseLimit: config.MISUSE_CALLS_PER_DAY, now });
  const mail = new MailStore(redis, keys);
  const views = new IncidentViews({ incidents, followup, mail, jobStates: queues.jobStates });
  const cases = new CaseDesk({ incidents, followup, queues, timeline, holdMs: config.CASE_HOLD_HOURS * 3600_000, now });
  const staff = createStaffServices({ config, redis, now });
  if (!config.MOBILISE_WEBHOOK_URL) log.warn("Paging is OFF: MOBILISE_WEBHOOK_URL is not set; incidents will page nobody");
  const options = () => ({ from: config.FOLLOWUP_FROM, supportEmail: config.SUPPORT_EMAIL, caseHoldHours: config.CASE_HOLD_HOURS, domain: messageDomain(config.PUBLIC_BASE_URL), now: now() });
  const correspondence = new Correspondence({ views, mail, queues, options });
  const desk = new MailDesk({ config, mail, incidents, followup, cases, queues, timeline, usage, log, now });
  return {
    config,
    redis,
    keys,
    journal,
    metrics,
    usage,
    roster,
    oncall,
    reports,
    sessions,
    timeline,
    queues,
    followup,
    mail,
    incidents,
    views,
    search: new IncidentSearch(redis, keys),
    notes: new CaseNotes(redis, keys),
    cases,
    correspondence,
    desk,
    staff,
    now,
    paging: () => pagingStatus(config, followup, now()),
    async close() {
      journal.close();
      await queues.close();
    },
  };
}
export type Services = ReturnType<typeof createServices>;

export function startServiceWorkers(services: Services, log: Logger) {
  const { incidents } = services;
  return startWorkers({ ...services, prefix: services.keys.bull(), incidentOfCall: (callSid) => incidents.idOfCall(callSid), log });
}
