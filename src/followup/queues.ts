import { Queue, type JobsOptions } from "bullmq";
import type { Redis } from "ioredis";
import { z } from "zod";

export const QUEUE_NAMES = { mobilise: "mobilise", email: "followup-email", caseClose: "case-close" } as const;

export const incidentJobSchema = z.object({ incidentId: z.string() });
export type IncidentJob = z.infer<typeof incidentJobSchema>;

/**
 * Job ids derive from the incident id: BullMQ ignores an add whose id exists, so raising the same incident
 * again (a replayed webhook) never queues a second page or email. Finished jobs are kept for that reason.
 */
export function jobId(kind: keyof typeof QUEUE_NAMES, incidentId: string): string {
  return `${kind}-${incidentId}`;
}

const RETAIN_SECONDS = 90 * 24 * 3600;
export const deliveryJobOptions: JobsOptions = {
  attempts: 6,
  backoff: { type: "exponential", delay: 2_000 },
  removeOnComplete: { age: RETAIN_SECONDS },
  removeOnFail: { age: RETAIN_SECONDS },
};

export class FollowupQueues {
  readonly mobilise: Queue;
  readonly email: Queue;
  readonly caseClose: Queue;

  constructor(connection: Redis, prefix: string) {
    const options = { connection, prefix };
    this.mobilise = new Queue(QUEUE_NAMES.mobilise, options);
    this.email = new Queue(QUEUE_NAMES.email, options);
    this.caseClose = new Queue(QUEUE_NAMES.caseClose, options);
  }

  /** Safe to call any number of times for one incident. */
  async enqueueForIncident(incidentId: string): Promise<void> {
    const data: IncidentJob = { incidentId };
    await Promise.all([
      this.mobilise.add("mobilise", data, { ...deliveryJobOptions, jobId: jobId("mobilise", incidentId) }),
      this.email.add("followup-email", data, { ...deliveryJobOptions, jobId: jobId("email", incidentId) }),
    ]);
  }

  async states(incidentId: string): Promise<{ mobilise: string; email: string }> {
    const state = async (queue: Queue, kind: keyof typeof QUEUE_NAMES) => {
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
