import type { IncidentRecord as IncidentView } from "../incidents/incident-record.ts";

/** What we ask every partner for: the items an engineer needs to find failing requests in our systems. */
export const REQUESTED_ITEMS = [
  "x-trace-id values of a few failing requests (the x-trace-id response header)",
  "the API endpoints affected (method and path)",
  "the business impact: which flows fail, for how many users",
  "the environment: production or sandbox",
  "request and response bodies of failing calls (remove secrets and card data)",
  "timestamps of failures, with time zone, and how long the problem has lasted",
  "user or profile IDs affected",
] as const;

export type Recipient = { to: string; source: "transcription" | "partner-directory" | "support-inbox" };

/** Transcribed contact first (the caller said it on this call), then the directory, else our own inbox. */
export function chooseRecipient(incident: Pick<IncidentView, "voicemail" | "partner">, supportEmail: string): Recipient {
  const spoken = incident.voicemail?.contact?.email;
  if (spoken) return { to: spoken, source: "transcription" };
  if (incident.partner?.email) return { to: incident.partner.email, source: "partner-directory" };
  return { to: supportEmail, source: "support-inbox" };
}

export interface FollowupEmail {
  to: string;
  subject: string;
  text: string;
  html: string;
  messageId: string;
  recipientSource: Recipient["source"];
}

// `alerted`: whether the email may say the on-call engineers were alerted (see mayClaimAlerted); when not,
// it promises only what happens without a page: the support team picks the case up.
const OUTCOME_TEXT: Record<string, (incident: IncidentView, alerted: boolean) => string> = {
  connected: (i) => `You spoke with our on-call engineer${i.engineer?.name ? ` ${i.engineer.name}` : ""}, who is working on it.`,
  voicemail: (_i, alerted) =>
    `No engineer could take your call live. We have your voicemail${alerted ? ", and our on-call engineers have been alerted." : "; our support team will pick up your case and get back to you."}`,
  "status-page": (i) =>
    `Our status page already shows an incident${i.statusPageIncident ? ` ("${i.statusPageIncident}")` : ""}; updates are published there. If your problem is different, tell us below.`,
  abandoned: (_i, alerted) =>
    `The call ended before you reached an engineer. ${alerted ? "Our on-call engineers have been alerted all the same." : "Our support team will pick up your case and get back to you."}`,
};

export function composeFollowup(
  incident: IncidentView,
  options: { supportEmail: string; caseHoldHours: number; messageDomain: string; alerted: boolean },
): FollowupEmail {
  const recipient = chooseRecipient(incident, options.supportEmail);
  const tag = incident.drill ? "DRILL" : "URGENT";
  const who = incident.partner?.name ?? incident.caller;
  const subject = `[${tag}] Emergency call ${incident.id}: please send details${incident.partner ? ` (${incident.partner.name})` : ""}`;
  const toSupport = recipient.source === "support-inbox";
  const callback = incident.voicemail?.contact?.phone ?? incident.caller;

  const paragraphs: string[] = [];
  if (incident.drill) paragraphs.push("THIS IS A DRILL. No real incident is being reported; no action is needed beyond the drill.");
  if (toSupport) {
    paragraphs.push(
      `Support team: this caller left no email address we could find. Call them back on ${callback} and ask for the details below, quoting ${incident.id}.`,
    );
  }
  paragraphs.push(
    `Hello ${who},`,
    `We received your call to the emergency on-call line at ${incident.raisedAt.replace("T", " ").slice(0, 16)} UTC. Your incident reference is ${incident.id}.`,
    (OUTCOME_TEXT[incident.outcome] ?? OUTCOME_TEXT.abandoned!)(incident, options.alerted),
  );
  const ask = "To find the failing requests quickly, please send us:";
  const closing = [
    `Reply to this email, or write to ${options.supportEmail} quoting ${incident.id}.`,
    `What happens next: an engineer investigates with the details you send and replies on this thread. We keep the case open for ${formatHours(options.caseHoldHours)} awaiting your reply; write any time to reopen it.`,
    "— The on-call team",
  ];

  const text = [...paragraphs, `${ask}\n${REQUESTED_ITEMS.map((item) => `  - ${item}`).join("\n")}`, ...closing].join("\n\n");
  const html = [
    ...[...paragraphs, ask].map((p) => `<p>${escapeHtml(p)}</p>`),
    `<ul>${REQUESTED_ITEMS.map((item) => `<li>${escapeHtml(item)}</li>`).join("")}</ul>`,
    ...closing.map((p) => `<p>${escapeHtml(p)}</p>`),
  ].join("\n");

  return { to: recipient.to, subject, text, html, messageId: `<${incident.id}.followup@${options.messageDomain}>`, recipientSource: recipient.source };
}

function formatHours(hours: number): string {
  return hours >= 1 && Number.isInteger(hours) ? `${hours} hours` : `${Math.round(hours * 60)} minutes`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
