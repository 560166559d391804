import { z } from "zod";

/** The payload of every job about one incident. */
export const incidentJobSchema = z.object({ incidentId: z.string() });
export type IncidentJob = z.infer<typeof incidentJobSchema>;

/**
 * Job ids derive from what the job is about: BullMQ ignores an add whose id exists, so raising the same
 * incident again (a replayed webhook) never queues a second page or email. Finished jobs are kept for that
 * reason. BullMQ forbids ':' in ids.
 */
export function jobId(kind: string, about: string, generation?: number): string {
  return `${kind}-${about}${generation ? `-${generation}` : ""}`;
}
