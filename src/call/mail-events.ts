import { z } from "zod";

/**
 * The email door's timeline events (docs/architecture.md, "Timeline"): part of the one typed union in
 * timeline-events.ts, kept here so the call's own events stay readable. Each message is a step once, keyed
 * by its Message-ID, however often a mail server delivers it.
 */
const at = z.iso.datetime();
const text = z.string();
const event = <const E extends string, S extends z.ZodRawShape>(name: E, shape: S) => z.object({ event: z.literal(name), at, text, ...shape });
const severity = z.enum(["SEV1", "SEV3"]);

export const mailEventSchemas = [
  event("incident.raised-by-mail", { incidentId: z.string(), severity }),
  event("mail.received", { from: z.string(), subject: z.string(), messageId: z.string(), severity, body: z.string(), joined: z.boolean() }),
  event("mail.partner-replied", { from: z.string(), subject: z.string(), messageId: z.string(), body: z.string() }),
  event("mail.trace-ids", { messageId: z.string(), traceIds: z.array(z.string()) }),
  event("mail.acknowledged", { to: z.string(), severity }),
  event("mail.reply-sent", { to: z.string(), messageId: z.string() }),
  event("mail.closing-sent", { to: z.string(), generation: z.number().int() }),
  event("mail.drill-report-sent", { to: z.string() }),
  event("mail.drill-report-failed", { attempts: z.number().int(), error: z.string() }),
] as const;

type MailEvent = z.infer<(typeof mailEventSchemas)[number]>;
type Of<N extends MailEvent["event"]> = Extract<MailEvent, { event: N }>;

export function mailEventKey(e: MailEvent): string {
  switch (e.event) {
    case "incident.raised-by-mail":
      return "incident";
    case "mail.received":
    case "mail.partner-replied":
      return `mail:in:${e.messageId}`;
    case "mail.trace-ids":
      return `mail:trace-ids:${e.messageId}`;
    case "mail.acknowledged":
      return "mail:ack";
    case "mail.reply-sent":
      return `mail:out:${e.messageId}`;
    case "mail.closing-sent":
      return `mail:closing:${e.generation}`;
    case "mail.drill-report-sent":
      return "drill-report:sent";
    case "mail.drill-report-failed":
      return "drill-report:failed";
  }
}

/** The body as the timeline shows it: enough to read the report, never a whole long message. */
const excerpt = (body: string) => (body.length > 2000 ? `${body.slice(0, 2000)}…` : body);

export const mailTimeline = {
  raised: (at: string, incidentId: string, sev: "SEV1" | "SEV3"): Of<"incident.raised-by-mail"> => ({
    event: "incident.raised-by-mail",
    at,
    incidentId,
    severity: sev,
    text: sev === "SEV1" ? `Incident ${incidentId} raised from urgent email (SEV1): on-call paged` : `Case ${incidentId} opened from email (SEV3, no page)`,
  }),
  received: (at: string, f: { from: string; subject: string; messageId: string; severity: "SEV1" | "SEV3"; body: string; joined: boolean }): Of<"mail.received"> => ({
    event: "mail.received",
    at,
    ...f,
    body: excerpt(f.body),
    text: `Email from ${f.from}: "${f.subject}"${f.joined ? " — joined this open incident (no new page)" : ""}\n${excerpt(f.body)}`,
  }),
  partnerReplied: (at: string, f: { from: string; subject: string; messageId: string; body: string }): Of<"mail.partner-replied"> => ({
    event: "mail.partner-replied",
    at,
    ...f,
    body: excerpt(f.body),
    text: `Partner replied by email (${f.from}): "${f.subject}"\n${excerpt(f.body)}`,
  }),
  traceIds: (at: string, messageId: string, traceIds: string[]): Of<"mail.trace-ids"> => ({
    event: "mail.trace-ids",
    at,
    messageId,
    traceIds,
    text: `Trace ids in the email: ${traceIds.join(", ")}`,
  }),
  acknowledged: (at: string, to: string, sev: "SEV1" | "SEV3"): Of<"mail.acknowledged"> => ({
    event: "mail.acknowledged",
    at,
    to,
    severity: sev,
    text: `Acknowledgement sent to ${to}${sev === "SEV1" ? " asking for trace ids and details" : ""}`,
  }),
  replySent: (at: string, to: string, messageId: string): Of<"mail.reply-sent"> => ({ event: "mail.reply-sent", at, to, messageId, text: `Our reply sent to ${to} in the thread` }),
  closingSent: (at: string, to: string, generation: number): Of<"mail.closing-sent"> => ({
    event: "mail.closing-sent",
    at,
    to,
    generation,
    text: `Closing email sent to ${to}: a reply re-opens the case`,
  }),
  drillReportSent: (at: string, to: string): Of<"mail.drill-report-sent"> => ({ event: "mail.drill-report-sent", at, to, text: `Drill report sent to ${to}` }),
  drillReportFailed: (at: string, attempts: number, error: string): Of<"mail.drill-report-failed"> => ({
    event: "mail.drill-report-failed",
    at,
    attempts,
    error,
    text: `Drill report failed after ${attempts} attempt(s): ${error}`,
  }),
};
