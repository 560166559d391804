import type { TimelineEvent } from "../call/timeline-events.ts";
import type { IncidentView } from "./incident-view.ts";
import { ourMessageId } from "./thread-message.ts";

/**
 * The drill report a partner gets after a drill call or a drill email (docs/architecture.md, "The email
 * door"): what the line did and when, so they can check their runbook against it. Written from the
 * incident's own timeline and record (the sentences staff read), never from a second account of the call.
 */

export interface DrillReportEmail {
  to: string;
  subject: string;
  text: string;
  messageId: string;
}

/** What each engineer's leg came to, in the partner's words. */
const LEG_RESULT: Record<string, string> = {
  accepted: "accepted",
  declined: "declined",
  "not-accepted": "voicemail picked up (answered, no key pressed)",
  "no-answer": "no answer",
  busy: "busy",
  failed: "could not be reached (call failed)",
  canceled: "still ringing when the call ended",
};

/** Timeline events that say what the partner experienced or what the line did for them; the rest is ours. */
const SHOWN = new Set<TimelineEvent["event"]>([
  "call.received",
  "statuspage.notice",
  "statuspage.choice",
  "engineer.dialled",
  "engineer.answered",
  "engineer.declined",
  "engineer.accepted",
  "engineer.missed",
  "conversation.ended",
  "voicemail.prompt",
  "voicemail.recorded",
  "voicemail.transcribed",
  "call.ended",
  "incident.raised",
  "incident.raised-by-mail",
  "followup.email-sent",
  "followup.mobilise-sent",
  "mail.received",
  "mail.trace-ids",
  "mail.acknowledged",
]);

/** "2026-12-07 06:40:01 UTC". */
export function utc(iso: string): string {
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** Seconds from the start, "+83 s" or "+7.2 s". */
export function sinceStart(iso: string, start: string): string {
  const seconds = Math.max(0, (Date.parse(iso) - Date.parse(start)) / 1000);
  return `+${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}

const stamp = (iso: string, start: string) => `${utc(iso)} (${sinceStart(iso, start)})`;

/** An event's sentence on one line (an email's body stays out: the partner has it). */
const firstLine = (text: string) => text.split("\n", 1)[0]!;

export function composeDrillReport(incident: IncidentView, to: string, options: { messageDomain: string }): DrillReportEmail {
  // In time order: the timeline is in the order its webhooks and jobs arrived, which Twilio does not promise.
  const events = incident.timeline.filter((e) => SHOWN.has(e.event)).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const start = incident.timeline[0]?.at ?? incident.raisedAt;
  const body = incident.channel === "email" ? mailSummary(incident, start) : callSummary(incident, start);
  const what = incident.channel === "email" ? `drill email${incident.mail ? ` "${incident.mail.subject}" from ${incident.mail.from}` : ""}` : `drill call from ${incident.caller}`;
  const text = [
    "THIS IS A DRILL REPORT. No real incident was reported; nothing needs doing beyond comparing it with your runbook.",
    `Hello ${incident.partner?.name ?? to},`,
    `This is what the emergency line did with your ${what}, incident ${incident.id}. Times are UTC; seconds count from when the line received it (${utc(start)}).`,
    body.join("\n"),
    `What happened, step by step:\n${events.map((e) => `  ${utc(e.at)}  ${sinceStart(e.at, start).padStart(8)}  ${firstLine(e.text)}`).join("\n")}`,
    "Check each step against what your runbook expects: who should have been reached, how fast, and which contact we should have understood. Reply to this email with any question.",
    "— The on-call team",
  ].join("\n\n");
  return { to, subject: `[DRILL] Drill report ${incident.id}`, text, messageId: ourMessageId(incident.id, "drill-report", options.messageDomain) };
}

function callSummary(incident: IncidentView, start: string): string[] {
  const t = incident.timeline;
  const lines = [`Incident: ${incident.id} (outcome ${incident.outcome ?? "not decided yet"})`];
  const notices = t.filter((e) => e.event === "call.received" || e.event === "statuspage.notice" || e.event === "voicemail.prompt");
  lines.push(`Played to you: ${notices.map((e) => `${e.event === "call.received" ? `greeting${e.drill ? " with the drill notice" : ""}` : e.event === "statuspage.notice" ? `status page notice "${e.name}"` : "the voicemail prompt"} at ${stamp(e.at, start)}`).join("; ") || "nothing recorded"}`);
  const dialled = t.filter((e) => e.event === "engineer.dialled");
  lines.push("Engineers tried:");
  if (!dialled.length) lines.push("  none (nobody was on call, or the call ended first)");
  for (const dial of dialled) {
    const leg = t.find((e) => (e.event === "engineer.missed" || e.event === "conversation.ended") && e.level === dial.level);
    const accepted = t.find((e) => e.event === "engineer.accepted" && e.level === dial.level);
    const declined = t.find((e) => e.event === "engineer.declined" && e.level === dial.level);
    const result = accepted || leg?.event === "conversation.ended" ? "accepted" : declined ? "declined" : leg?.event === "engineer.missed" ? leg.result : null;
    const when = accepted ?? declined ?? leg;
    lines.push(`  level ${dial.level}: ${dial.engineer}, rung at ${stamp(dial.at, start)}: ${result ? LEG_RESULT[result] : "no result recorded"}${when ? ` at ${stamp(when.at, start)}` : ""}`);
  }
  const accepted = t.find((e) => e.event === "engineer.accepted");
  const prompt = t.find((e) => e.event === "voicemail.prompt");
  if (accepted) lines.push(`Who answered: ${accepted.engineer}, at ${stamp(accepted.at, start)}`);
  else if (prompt) lines.push(`Who answered: nobody accepted; you reached the voicemail at ${stamp(prompt.at, start)}`);
  else lines.push(`Who answered: nobody (outcome ${incident.outcome ?? "not decided yet"})`);
  if (incident.voicemail) {
    const contact = incident.voicemail.contact;
    const understood = [contact?.email && `email ${contact.email}`, contact?.phone && `phone ${contact.phone}`].filter(Boolean).join(", ");
    const status = incident.voicemail.transcriptionStatus;
    lines.push(`Contact we understood from your voicemail: ${understood || (status === "pending" ? "none (no transcription had arrived)" : status === "failed" ? "none (the transcription failed)" : "none")}`);
  }
  lines.push(followupLine(incident, start), pagedLine(incident, start));
  const ended = t.find((e) => e.event === "call.ended");
  lines.push(`Call ended: ${ended ? stamp(ended.at, start) : "not yet, when this report was written"}`);
  return lines;
}

function mailSummary(incident: IncidentView, start: string): string[] {
  const received = incident.timeline.find((e) => e.event === "mail.received");
  const ack = incident.thread.find((m) => m.kind === "ack");
  return [
    `Incident: ${incident.id}`,
    `Received at: ${stamp(received?.at ?? start, start)}`,
    `Classified: ${incident.severity}${incident.severity === "SEV1" ? " (the subject says urgent or critical: the on-call is paged)" : " (no page: a support engineer replies)"}`,
    pagedLine(incident, start),
    `Acknowledged: ${ack?.sentAt ? `${stamp(ack.sentAt, start)}, to ${ack.to}` : "not yet, when this report was written"}`,
  ];
}

function followupLine(incident: IncidentView, start: string): string {
  const email = incident.followup.email;
  if (email.sentAt) return `Follow-up email: sent at ${stamp(email.sentAt, start)} to ${email.recipientSource === "support-inbox" ? "our support team (no address of yours was understood)" : email.to}`;
  if (email.state === "skipped") return `Follow-up email: not sent (${email.reason ?? "skipped"})`;
  if (email.state === "failed") return "Follow-up email: could not be sent";
  return "Follow-up email: not sent yet, when this report was written";
}

function pagedLine(incident: IncidentView, start: string): string {
  const page = incident.followup.mobilise;
  if (incident.severity === "SEV3") return "Paged: no (SEV3)";
  if (page.sentAt) return `Paged: yes, on the drill channel, at ${stamp(page.sentAt, start)}`;
  if (page.state === "skipped") return `Paged: no (${page.reason ?? "skipped"})`;
  if (page.state === "failed") return "Paged: no (the drill channel could not be reached)";
  return "Paged: not yet, when this report was written";
}
