import { Queue, type JobsOptions } from "bullmq";
import type { Redis } from "ioredis";
import { z } from "zod";

export const QUEUE_NAMES = { mobilise: "mobilise", email: "followup-email", caseClose: "case-close" } as const;
type Kind = keyof typeof QUEUE_NAMES;

export const incidentJobSchema = z.object({ incidentId: z.string() });
export type IncidentJob = z.infer<typeof incidentJobSchema>;
export const caseCloseJobSchema = incidentJobSchema.extend({ generation: z.number().int() });
export type CaseCloseJob = z.infer<typeof caseCloseJobSchema>;

/**
 * Job ids derive from the incident id: BullMQ ignores an add whose id exists, so raising the same incident
 * again (a replayed webhook) never queues a second page or email. Finished jobs are kept for that reason.
 */
export function jobId(kind: Kind, incidentId: string, generation?: number): string {
  return `${kind}-${incidentId}${generation ? `-${generation}` : ""}`;
}

const RETAIN_SECONDS = 90 * 24 * 3600;

export interface RetryPolicy {
  attempts: number;
  delayMs: number;
}

export class FollowupQueues {
  readonly mobilise: Queue;
  readonly email: Queue;
  readonly caseClose: Queue;
  private readonly jobOptions: JobsOptions;

  constructor(connection: Redis, prefix: string, retry: RetryPolicy) {
    const options = { connection, prefix };
    this.mobilise = new Queue(QUEUE_NAMES.mobilise, options);
    this.email = new Queue(QUEUE_NAMES.email, options);
    this.caseClose = new Queue(QUEUE_NAMES.caseClose, options);
    // With Redis away the queues emit connection errors; the adds that fail are spooled by the journal.
    for (const queue of [this.mobilise, this.email, this.caseClose]) queue.on("error", () => {});
    this.jobOptions = {
      attempts: retry.attempts,
      backoff: { type: "exponential", delay: retry.delayMs },
      removeOnComplete: { age: RETAIN_SECONDS },
      removeOnFail: { age: RETAIN_SECONDS },
    };
  }

  /**
   * Safe to call any number of times for one incident. `emailDelayMs` holds the email back, e.g. while a
   * voicemail's transcription (which may name the contact) is on its way; `releaseEmail` sends it sooner.
   */
  async enqueueForIncident(incidentId: string, { emailDelayMs = 0 } = {}): Promise<void> {
    const data: IncidentJob = { incidentId };
    await Promise.all([
      this.mobilise.add("mobilise", data, { ...this.jobOptions, jobId: jobId("mobilise", incidentId) }),
      this.email.add("followup-email", data, { ...this.jobOptions, jobId: jobId("email", incidentId), delay: emailDelayMs }),
    ]);
  }

  async releaseEmail(incidentId: string): Promise<void> {
    const job = await this.email.getJob(jobId("email", incidentId));
    if (job && (await job.isDelayed())) await job.promote();
  }

  /** A generation per hold: reopening a case arms a new hold, whose job must not collide with the old one. */
  async scheduleCaseClose(incidentId: string, generation: number, delayMs: number): Promise<void> {
    const data: CaseCloseJob = { incidentId, generation };
    await this.caseClose.add("case-close", data, { ...this.jobOptions, jobId: jobId("caseClose", incidentId, generation), delay: delayMs });
  }

  async cancelCaseClose(incidentId: string, generation: number): Promise<void> {
    const job = await this.caseClose.getJob(jobId("caseClose", incidentId, generation));
    if (job && (await job.isDelayed())) await job.remove();
  }

  async jobStates(incidentId: string): Promise<{ mobilise: string; email: string }> {
    const state = async (queue: Queue, kind: Kind) => {
      const job = await queue.getJob(jobId(kind, incidentId));
      return job ? await job.getState() : "not-queued";
    };
    const [mobilise, email] = await Promise.all([state(this.mobilise, "mobilise"), state(this.email, "email")]);
    return { mobilise, email };
  }

  async close(): Promise<void> {
    await Promise.all([this.mobilise.close(), this.email.close(), this.caseClose.close()]);
  }
}
