import type { Processor } from "bullmq";
import { z } from "zod";
import { timeline } from "../../call/timeline-events.ts";
import type { FollowupState } from "../../store/followup-state.ts";
import type { Timeline } from "../../store/timeline.ts";
import type { IncidentView } from "../incident-view.ts";

/**
 * A voicemail's transcription was stored. Before the email went out, it is released now and goes to whatever
 * contact the transcript names. After, nothing is sent twice: a new address is recorded for staff.
 */
export const TRANSCRIPTION_QUEUE = "transcription";
export const transcriptionJobSchema = z.object({ callSid: z.string() });
export type TranscriptionJob = z.infer<typeof transcriptionJobSchema>;

export interface TranscriptionDeps {
  incidentOfCall(callSid: string): Promise<string | null>;
  views: { get(id: string): Promise<IncidentView | null> };
  followup: FollowupState;
  timeline: Timeline;
  releaseEmail(incidentId: string): Promise<"released" | "not-held" | "missing">;
  now: () => Date;
}

export function transcriptionProcessor(deps: TranscriptionDeps): Processor {
  return async (job) => {
    const { callSid } = transcriptionJobSchema.parse(job.data);
    const incidentId = await deps.incidentOfCall(callSid);
    // No incident yet: the raise (the Record action, or the hang-up) is still to come, and its email will
    // read the transcript when it is sent.
    if (!incidentId) return { incident: null };
    const { email } = await deps.followup.read(incidentId);
    if (email.state !== "sent") {
      // Raised a moment ago, its email not queued yet: try again shortly (BullMQ's backoff) rather than let
      // it wait the whole transcription hold.
      if ((await deps.releaseEmail(incidentId)) === "missing") throw new Error(`follow-up email of ${incidentId} not queued yet`);
      return { released: incidentId };
    }
    const spoken = (await deps.views.get(incidentId))?.voicemail?.contact?.email;
    if (spoken && spoken !== email.to) {
      await deps.followup.write(incidentId, "email", { lateContact: spoken });
      await deps.timeline.append(callSid, timeline.lateContact(deps.now().toISOString(), spoken, email.to ?? "the support inbox"));
    }
    return { lateContact: spoken ?? null };
  };
}
