import { Worker, type Processor } from "bullmq";
import nodemailer from "nodemailer";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import { connectWorkerRedis, isConnectionError, superviseConnection } from "../store/redis.ts";
import type { FollowupState } from "../store/followup-state.ts";
import type { MailStore } from "../store/mail-store.ts";
import type { Timeline } from "../store/timeline.ts";
import type { CaseDesk } from "./cases.ts";
import type { IncidentViews } from "./incident-view.ts";
import { CASE_CLOSE_QUEUE, caseCloseProcessor } from "./jobs/case-close.ts";
import { DRILL_REPORT_QUEUE, drillReportProcessor } from "./jobs/drill-report.ts";
import { FOLLOWUP_EMAIL_QUEUE, followupEmailProcessor } from "./jobs/followup-email.ts";
import { MOBILISE_QUEUE, mobiliseProcessor } from "./jobs/mobilise.ts";
import { THREAD_MAIL_QUEUE, threadMailProcessor } from "./jobs/thread-mail.ts";
import { TRANSCRIPTION_QUEUE, transcriptionProcessor } from "./jobs/transcription.ts";
import type { FollowupQueues } from "./queues.ts";

export interface WorkerDeps {
  config: Config;
  prefix: string;
  views: IncidentViews;
  incidentOfCall(callSid: string): Promise<string | null>;
  followup: FollowupState;
  mail: MailStore;
  timeline: Timeline;
  cases: CaseDesk;
  queues: FollowupQueues;
  log: Logger;
  now: () => Date;
}

/** The follow-up workers, one per queue, on a connection of their own (BullMQ blocks on it). */
export function startWorkers(deps: WorkerDeps): { close(): Promise<void>; workers: Worker[] } {
  const { config, prefix, log, cases, queues } = deps;
  const transport = nodemailer.createTransport(config.SMTP_URL);
  const connection = connectWorkerRedis(config);
  const supervisor = superviseConnection(connection, log, { name: "workers" });
  // After losing Redis, try again every 2 s rather than BullMQ's 15 s, so a returning Redis is used promptly.
  const options = { connection, prefix, concurrency: 5, runRetryDelay: 2_000 };
  const queueDrillReport = (id: string) => queues.enqueueDrillReport(id);
  const processors: [string, Processor][] = [
    [MOBILISE_QUEUE, mobiliseProcessor(deps)],
    [FOLLOWUP_EMAIL_QUEUE, followupEmailProcessor({ ...deps, transport, startHold: (id) => cases.startHold(id), queueDrillReport })],
    [CASE_CLOSE_QUEUE, caseCloseProcessor({ closeIfUnanswered: (id, generation) => cases.closeIfUnanswered(id, generation), dueInMs: (id, generation) => cases.dueInMs(id, generation) })],
    [TRANSCRIPTION_QUEUE, transcriptionProcessor({ ...deps, releaseEmail: (id) => queues.releaseEmail(id) })],
    [THREAD_MAIL_QUEUE, threadMailProcessor({ ...deps, transport, holdAfterReply: (id, messageId) => cases.holdAfterReply(id, messageId), queueDrillReport })],
    [DRILL_REPORT_QUEUE, drillReportProcessor({ ...deps, transport })],
  ];
  const workers = processors.map(([name, processor]) => new Worker(name, processor, options));
  for (const worker of workers) {
    worker.on("failed", (job, err) => log.warn({ queue: worker.name, jobId: job?.id, attempt: job?.attemptsMade, err }, "follow-up job failed"));
    // An outage reaches every worker through each of its connections; superviseConnection reports it once per attempt.
    worker.on("error", (err) => isConnectionError(err) || log.error({ queue: worker.name, err }, "worker error"));
  }
  return {
    workers,
    async close() {
      // Worker.close waits for jobs in flight to finish; anything not started stays queued in Redis. Without
      // Redis no job can finish (nor would waiting end): close at once, BullMQ's stalled check retries them.
      const force = connection.status !== "ready";
      await Promise.all(workers.map((worker) => worker.close(force)));
      supervisor.stop();
      transport.close();
      connection.disconnect();
    },
  };
}
