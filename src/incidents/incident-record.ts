import { z } from "zod";
import type { CallRecord } from "../call/records.ts";
import type { TimelineEvent } from "../call/timeline-events.ts";
import { extractContact } from "./contact.ts";

/** The incident hash written by the raise-once script. */
export const incidentRowSchema = z.object({
  id: z.string(),
  callSid: z.string(),
  raisedAt: z.string(),
  severity: z.literal("SEV1"),
  outcome: z.string(),
});
export type IncidentRow = z.infer<typeof incidentRowSchema>;

/** An incident as staff and the follow-up read it: the row, its call, and what the call's timeline says. */
/**
 * `groupedWith`: the incident of the first call of this number's group, whose page and follow-up this one
 * joins (null when it is the first, or that call has no incident yet).
 */
export function incidentRecord(incident: IncidentRow, call: CallRecord, timeline: TimelineEvent[], misuseLimit: number, groupedWith: string | null) {
  const { meta } = call;
  const accepted = call.acceptedLevel;
  const engineer = accepted ? meta.engineers[accepted - 1] : undefined;
  const transcript = call.transcription?.status === "completed" ? call.transcription.text : null;
  const acceptedAt = timeline.find((event) => event.event === "engineer.accepted")?.at;
  return {
    id: incident.id,
    severity: incident.severity,
    drill: meta.drill,
    raisedAt: incident.raisedAt,
    outcome: incident.outcome,
    callSid: incident.callSid,
    caller: meta.from,
    partner: meta.partner,
    statusPageIncident: meta.statusNotice?.name ?? null,
    // Still put through (it may be a real outage), but staff should look at a number calling this often.
    groupedWith,
    // The call's first webhook left no session: who called and when come from a later webhook.
    reconstructed: meta.reconstructed,
    misuse: meta.callsInLastDay !== null && meta.callsInLastDay > misuseLimit ? { callsInLastDay: meta.callsInLastDay, limit: misuseLimit } : null,
    engineer: engineer ? { ...engineer, level: accepted } : null,
    timeToHumanSeconds: acceptedAt ? (Date.parse(acceptedAt) - Date.parse(meta.startedAt)) / 1000 : null,
    // The transcription may come before the Record action is stored (Twilio orders neither): the contact it
    // names counts as soon as it is here, and the recording fills in when it comes.
    voicemail:
      call.recording || call.transcription
      ? {
          recordingUrl: call.recording?.url ?? null,
          recordingSid: call.recording?.sid ?? null,
          durationSeconds: call.recording?.duration ?? null,
          transcriptionStatus: call.transcription?.status ?? "pending",
          transcript,
          contact: transcript ? extractContact(transcript) : null,
        }
      : null,
    attempts: call.attempts,
    timeline,
  };
}
export type IncidentRecord = ReturnType<typeof incidentRecord>;
