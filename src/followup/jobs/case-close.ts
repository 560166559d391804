import { DelayedError, type Processor } from "bullmq";
import { z } from "zod";
import { incidentJobSchema } from "./incident-job.ts";

/** Closes a case whose hold ran out without the partner's reply. One job per hold (its generation). */
export const CASE_CLOSE_QUEUE = "case-close";
export const caseCloseJobSchema = incidentJobSchema.extend({ generation: z.number().int() });
export type CaseCloseJob = z.infer<typeof caseCloseJobSchema>;

export interface CaseCloseDeps {
  closeIfUnanswered(incidentId: string, generation: number): Promise<boolean>;
  /** How long until the hold's deadline on the line's clock (≤ 0: due). */
  dueInMs(incidentId: string, generation: number): Promise<number>;
}

export function caseCloseProcessor(deps: CaseCloseDeps): Processor {
  return async (job, token) => {
    const data = caseCloseJobSchema.parse(job.data);
    // The job checks its own deadline: one run early (promoted by hand or by a drill that moved the line's
    // clock, or a clock behind another instance's) waits again for the rest instead of closing too soon.
    const dueIn = await deps.dueInMs(data.incidentId, data.generation);
    if (dueIn > 0) {
      await job.moveToDelayed(Date.now() + dueIn, token);
      throw new DelayedError();
    }
    return { closed: await deps.closeIfUnanswered(data.incidentId, data.generation) };
  };
}
