import type { Processor } from "bullmq";
import { z } from "zod";
import { incidentJobSchema } from "./incident-job.ts";

/** Closes a case whose hold ran out without the partner's reply. One job per hold (its generation). */
export const CASE_CLOSE_QUEUE = "case-close";
export const caseCloseJobSchema = incidentJobSchema.extend({ generation: z.number().int() });
export type CaseCloseJob = z.infer<typeof caseCloseJobSchema>;

export function caseCloseProcessor(deps: { closeIfUnanswered(incidentId: string, generation: number): Promise<boolean> }): Processor {
  return async (job) => {
    const data = caseCloseJobSchema.parse(job.data);
    return { closed: await deps.closeIfUnanswered(data.incidentId, data.generation) };
  };
}
