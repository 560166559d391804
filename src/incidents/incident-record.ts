import { z } from "zod";
import { channelSchema, mailIncidentFieldsSchema, severitySchema } from "../call/mail.ts";
import type { CallRecord } from "../call/records.ts";
import type { TimelineEvent } from "../call/timeline-events.ts";
import { extractContact } from "./contact.ts";

/**
 * The incident hash: raise-once.lua writes a call's (callSid, outcome), raise-case.lua an email's (caseKey
 * and the mail fields). Hashes written before the email door have no channel: they are calls.
 */
export const incidentRowSchema = z.object({
  id: z.string(),
  raisedAt: z.string(),
  severity: severitySchema.default("SEV1"),
  channel: channelSchema.default("phone"),
  callSid: z.string().optional(),
  outcome: z.string().optional(),
  caseKey: z.string().optional(),
});
export type IncidentRow = z.infer<typeof incidentRowSchema>;

const misuseOf = (count: number | null, limit: number) => (count !== null && count > limit ? { callsInLastDay: count, limit } : null);

/**
 * An incident as staff and the follow-up read it: the row, its call, and what the call's timeline says.
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
    channel: incident.channel,
    drill: meta.drill,
    raisedAt: incident.raisedAt,
    outcome: (incident.outcome ?? null) as string | null,
    callSid: meta.callSid as string | null,
    /** Whose timeline this incident has: the CallSid, or an email case's key. */
    subjectId: meta.callSid,
    caller: meta.from,
    partner: meta.partner,
    /** The email that opened an email incident: sender and subject. */
    mail: null as { from: string; subject: string } | null,
    statusPageIncident: meta.statusNotice?.name ?? null,
    // Still put through (it may be a real outage), but staff should look at a number calling this often.
    groupedWith,
    // The call's first webhook left no session: who called and when come from a later webhook.
    reconstructed: meta.reconstructed,
    misuse: misuseOf(meta.callsInLastDay, misuseLimit),
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

/** An incident the email door raised: the same shape, with the mail where a call would be. */
export function mailIncidentRecord(incident: IncidentRow, hash: Record<string, string>, timeline: TimelineEvent[], misuseLimit: number): IncidentRecord {
  const mail = mailIncidentFieldsSchema.parse(hash);
  return {
    id: incident.id,
    severity: incident.severity,
    channel: "email",
    drill: mail.drill,
    raisedAt: incident.raisedAt,
    outcome: null,
    callSid: null,
    subjectId: mail.caseKey,
    caller: mail.from,
    partner: mail.partner,
    mail: { from: mail.from, subject: mail.mailSubject },
    statusPageIncident: null,
    // Repeated urgent mail joins the open incident itself (the email door), rather than grouping.
    groupedWith: null,
    reconstructed: false,
    misuse: misuseOf(mail.usage, misuseLimit),
    engineer: null,
    timeToHumanSeconds: null,
    voicemail: null,
    attempts: [],
    timeline,
  };
}
