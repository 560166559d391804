import { Queue, type JobsOptions } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { superviseConnection } from "../store/redis.ts";
import { CASE_CLOSE_QUEUE, type CaseCloseJob } from "./jobs/case-close.ts";
import { DRILL_REPORT_QUEUE } from "./jobs/drill-report.ts";
import { FOLLOWUP_EMAIL_QUEUE } from "./jobs/followup-email.ts";
import { jobId, type IncidentJob } from "./jobs/incident-job.ts";
import { MOBILISE_QUEUE } from "./jobs/mobilise.ts";
import { THREAD_MAIL_QUEUE, threadMailJobId, type ThreadMailJob } from "./jobs/thread-mail.ts";
import { TRANSCRIPTION_QUEUE, type TranscriptionJob } from "./jobs/transcription.ts";

const RETAIN_SECONDS = 90 * 24 * 3600;

export interface RetryPolicy {
  attempts: number;
  delayMs: number;
}

/** The follow-up's queues, and every way work is put on them. Each add is idempotent by its job id. */
export class FollowupQueues {
  readonly mobilise: Queue;
  readonly email: Queue;
  readonly caseClose: Queue;
  readonly transcription: Queue;
  readonly threadMail: Queue;
  readonly drillReport: Queue;
  private readonly jobOptions: JobsOptions;
  private readonly connection: Redis;
  private readonly supervisor: { stop(): void };

  /**
   * The queues get a copy of `redis` (same options, its own socket): BullMQ defines its ~50 scripts on the
   * connection it is given, and ioredis copies every script defined on a connection into each pipeline it
   * builds. On the webhooks' connection that copying was 7% of the line's CPU (issue 15's profile). The copy
   * is watched as the process' own connection is, so a link that goes silent is left and reconnected.
   */
  constructor(redis: Redis, prefix: string, retry: RetryPolicy, log: Logger) {
    const connection = redis.duplicate();
    connection.on("error", () => {});
    this.connection = connection;
    this.supervisor = superviseConnection(connection, log, { name: "queues" });
    const options = { connection, prefix };
    this.mobilise = new Queue(MOBILISE_QUEUE, options);
    this.email = new Queue(FOLLOWUP_EMAIL_QUEUE, options);
    this.caseClose = new Queue(CASE_CLOSE_QUEUE, options);
    this.transcription = new Queue(TRANSCRIPTION_QUEUE, options);
    this.threadMail = new Queue(THREAD_MAIL_QUEUE, options);
    this.drillReport = new Queue(DRILL_REPORT_QUEUE, options);
    // With Redis away the queues emit connection errors; the adds that fail are spooled by the journal.
    for (const queue of this.all()) queue.on("error", () => {});
    this.jobOptions = {
      attempts: retry.attempts,
      backoff: { type: "exponential", delay: retry.delayMs },
      removeOnComplete: { age: RETAIN_SECONDS },
      removeOnFail: { age: RETAIN_SECONDS },
    };
  }

  all(): Queue[] {
    return [this.mobilise, this.email, this.caseClose, this.transcription, this.threadMail, this.drillReport];
  }

  /**
   * Safe to call any number of times for one incident. `emailDelayMs` holds the email back, e.g. while a
   * voicemail's transcription (which may name the contact) is on its way; `releaseEmail` sends it sooner.
   */
  async enqueueForIncident(incidentId: string, { emailDelayMs = 0 } = {}): Promise<void> {
    const data: IncidentJob = { incidentId };
    await Promise.all([
      this.mobilise.add(MOBILISE_QUEUE, data, { ...this.jobOptions, jobId: jobId("mobilise", incidentId) }),
      this.email.add(FOLLOWUP_EMAIL_QUEUE, data, { ...this.jobOptions, jobId: jobId("email", incidentId), delay: emailDelayMs }),
    ]);
  }

  /**
   * An email incident's follow-up, safe to repeat: a SEV1 mobilises like a call (same job, same dedup),
   * and every case gets its acknowledgement.
   */
  async enqueueForMail(incidentId: string, { page }: { page: boolean }): Promise<void> {
    const data: IncidentJob = { incidentId };
    await Promise.all([
      page && this.mobilise.add(MOBILISE_QUEUE, data, { ...this.jobOptions, jobId: jobId("mobilise", incidentId) }),
      this.queueThreadMail({ incidentId, kind: "ack" }),
    ]);
  }

  /** One job per message on a thread (see jobs/thread-mail.ts). */
  async queueThreadMail(job: ThreadMailJob): Promise<void> {
    await this.threadMail.add(THREAD_MAIL_QUEUE, job, { ...this.jobOptions, jobId: threadMailJobId(job) });
  }

  /**
   * A drill's report to its partner, once per incident (the job id), whoever asks and however often: the
   * follow-up email's job and the acknowledgement's both ask once they are done (see jobs/drill-report.ts).
   */
  async enqueueDrillReport(incidentId: string): Promise<void> {
    const data: IncidentJob = { incidentId };
    await this.drillReport.add(DRILL_REPORT_QUEUE, data, { ...this.jobOptions, jobId: jobId("drillReport", incidentId) });
  }

  /** Sends a held email now. "missing": the raise has not queued it yet (it is about to). */
  async releaseEmail(incidentId: string): Promise<"released" | "not-held" | "missing"> {
    const job = await this.email.getJob(jobId("email", incidentId));
    if (!job) return "missing";
    if (!(await job.isDelayed())) return "not-held";
    await job.promote();
    return "released";
  }

  /** One job per call: a transcription retried by Twilio changes nothing more. */
  async transcriptionStored(callSid: string): Promise<void> {
    const data: TranscriptionJob = { callSid };
    await this.transcription.add(TRANSCRIPTION_QUEUE, data, { ...this.jobOptions, jobId: jobId("transcription", callSid) });
  }

  /** A generation per hold: reopening a case arms a new hold, whose job must not collide with the old one. */
  async scheduleCaseClose(incidentId: string, generation: number, delayMs: number): Promise<void> {
    const data: CaseCloseJob = { incidentId, generation };
    await this.caseClose.add(CASE_CLOSE_QUEUE, data, { ...this.jobOptions, jobId: jobId("caseClose", incidentId, generation), delay: delayMs });
  }

  async cancelCaseClose(incidentId: string, generation: number): Promise<void> {
    const job = await this.caseClose.getJob(jobId("caseClose", incidentId, generation));
    if (job && (await job.isDelayed())) await job.remove();
  }

  readonly jobStates = async (incidentId: string): Promise<{ mobilise: string; email: string; drillReport: string }> => {
    const state = async (queue: Queue, kind: string) => {
      const job = await queue.getJob(jobId(kind, incidentId));
      return job ? await job.getState() : "not-queued";
    };
    const [mobilise, email, drillReport] = await Promise.all([state(this.mobilise, "mobilise"), state(this.email, "email"), state(this.drillReport, "drillReport")]);
    return { mobilise, email, drillReport };
  };

  /**
   * The queues staff paused (bull-board): their pages and emails wait until someone resumes them. Within a
   * second, else none known: a BullMQ queue waits for Redis indefinitely, and a page or probe must not.
   */
  async paused(): Promise<string[]> {
    const flags = Promise.all(this.all().map(async (queue) => ((await queue.isPaused()) ? [queue.name] : []))).then((found) => found.flat());
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<string[]>((resolve) => (timer = setTimeout(() => resolve([]), 1000)));
    try {
      return await Promise.race([flags.catch(() => []), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.all().map((queue) => queue.close()));
    this.supervisor.stop();
    this.connection.disconnect();
  }
}
