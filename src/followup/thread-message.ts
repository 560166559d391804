import { randomBytes } from "node:crypto";
import type { ThreadMessage } from "../call/mail.ts";
import type { IncidentView } from "./incident-view.ts";
import { REQUESTED_ITEMS } from "./followup-message.ts";

/**
 * What we write on an incident's mail thread besides the phone follow-up: the acknowledgement of a partner's
 * email, staff replies and the closing note. Every Message-ID we send is `<INC-….kind@our domain>`, so a
 * reply naming it threads back to its incident without a lookup (docs/architecture.md, "The email door").
 */

/** The domain our Message-IDs carry: PUBLIC_BASE_URL's host. */
export function messageDomain(publicBaseUrl: string): string {
  return new URL(publicBaseUrl).hostname || "emergency-line";
}

export function ourMessageId(incidentId: string, kind: string, domain: string): string {
  return `<${incidentId}.${kind}@${domain}>`;
}

/** A reply's Message-ID: from the request's own reply id when it has one (a retry is then the same message). */
export function newReplyId(incidentId: string, domain: string, replyId?: string): string {
  return ourMessageId(incidentId, `reply-${replyId ?? randomBytes(6).toString("hex")}`, domain);
}

type Thread = IncidentView["thread"];

export interface ThreadOptions {
  /** FOLLOWUP_FROM: who our messages are from. */
  from: string;
  supportEmail: string;
  caseHoldHours: number;
  domain: string;
  now: Date;
}

/** Who our messages go to: the partner's latest message (its Reply-To first), else the follow-up's partner address. */
export function correspondent(incident: Pick<IncidentView, "thread" | "followup">): string | null {
  const inbound = incident.thread.filter((m) => m.direction === "in").at(-1);
  if (inbound) return inbound.replyTo ?? inbound.from;
  const email = incident.followup.email;
  return email.to && email.recipientSource !== "support-inbox" ? email.to : null;
}

/** `Re: <the thread's first subject>`, carrying the incident id (and DRILL for a drill) whatever the mail client keeps. */
export function threadSubject(incident: Pick<IncidentView, "id" | "drill" | "thread">): string {
  const base = (incident.thread[0]?.subject ?? "").replace(/^(\s*(re|fwd?|aw)\s*:\s*)+/i, "").trim() || `Your report ${incident.id}`;
  let subject = `Re: ${base}`;
  if (!subject.includes(incident.id)) subject += ` [${incident.id}]`;
  if (incident.drill && !/\bDRILL\b/.test(subject)) subject = `[DRILL] ${subject}`;
  return subject;
}

/** In-Reply-To the partner's latest message (else ours), References the whole thread (the last 20). */
function threading(thread: Thread): Pick<ThreadMessage, "inReplyTo" | "references"> {
  const parent = thread.filter((m) => m.direction === "in").at(-1) ?? thread.at(-1);
  return { inReplyTo: parent?.messageId ?? null, references: thread.map((m) => m.messageId).slice(-20) };
}

function outbound(incident: IncidentView, kind: ThreadMessage["kind"], messageId: string, text: string, o: ThreadOptions): ThreadMessage | null {
  const to = correspondent(incident);
  if (!to) return null;
  const drill = incident.drill ? "THIS IS A DRILL. No real incident is being reported; no action is needed beyond the drill.\n\n" : "";
  return {
    direction: "out",
    kind,
    messageId,
    at: o.now.toISOString(),
    from: o.from,
    to,
    replyTo: null,
    subject: threadSubject(incident),
    text: `${drill}${text}`,
    ...threading(incident.thread),
    attachments: [],
    facts: { traceIds: [], endpoints: [], environments: [], timestamps: [] },
  };
}

export function composeAcknowledgement(incident: IncidentView, o: ThreadOptions): ThreadMessage | null {
  const first = incident.thread.find((m) => m.direction === "in");
  const received = `We received your email${first ? ` "${first.subject}"` : ""} at ${incident.raisedAt.replace("T", " ").slice(0, 16)} UTC.`;
  const paragraphs =
    incident.severity === "SEV1"
      ? [
          `${received} Your incident reference is ${incident.id}. It is handled as Severity 1: our on-call engineer has been paged and is on it now.`,
          `To find the failing requests quickly, please reply with:\n${REQUESTED_ITEMS.map((item) => `  - ${item}`).join("\n")}`,
          `What happens next: the engineer investigates with the details you send and replies on this thread. Keep ${incident.id} in the subject when you write about this.`,
        ]
      : [
          `${received} Your case reference is ${incident.id}. It is handled as Severity 3 until a support engineer assesses it; we will reply on this thread.`,
          `If this is a Severity 1 outage, write to ${o.supportEmail} with the word "urgent" in the subject, or call the emergency line: that pages our on-call engineer 24/7.`,
        ];
  return outbound(incident, "ack", ourMessageId(incident.id, "ack", o.domain), ["Hello,", ...paragraphs, "— The support team"].join("\n\n"), o);
}

export function composeClosing(incident: IncidentView, generation: number, o: ThreadOptions): ThreadMessage | null {
  const text = [
    "Hello,",
    `We have not heard back about ${incident.id} within ${o.caseHoldHours >= 1 ? `${o.caseHoldHours} hours` : `${Math.round(o.caseHoldHours * 60)} minutes`}, so we have closed the case.`,
    "Reply to this email at any time and the case re-opens.",
    "— The support team",
  ].join("\n\n");
  return outbound(incident, "closing", ourMessageId(incident.id, `closing-${generation}`, o.domain), text, o);
}

export function composeStaffReply(incident: IncidentView, text: string, o: ThreadOptions, replyId?: string): ThreadMessage | null {
  return outbound(incident, "reply", newReplyId(incident.id, o.domain, replyId), `${text.trim()}\n\n— The support team (reference ${incident.id})`, o);
}
