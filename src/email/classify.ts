import type { InboundMail, Severity } from "../call/mail.ts";

/**
 * How the email door reads a message (docs/architecture.md, "The email door"): pure decisions over the
 * stored message, so the rules are tested without a mail server.
 */

/** "urgent" or "critical" as a whole word, in any case, anywhere in the subject: `[URGENT]`, `Re: CRITICAL -`. */
export function severityOf(subject: string): Severity {
  return /\b(urgent|critical)\b/i.test(subject) ? "SEV1" : "SEV3";
}

export interface Ours {
  /** Addresses our own mail comes from (FOLLOWUP_FROM's). */
  addresses: string[];
  /** The domain of our Message-IDs. */
  domain: string;
}

const headerValue = (mail: InboundMail, name: string) => mail.headers[name]?.trim().toLowerCase();
const domainOfId = (messageId: string) => /@([^>]+)>?\s*$/.exec(messageId)?.[1]?.toLowerCase() ?? null;

/**
 * Why a message was written by a machine, or null for a person's. Such mail is stored and nothing else: no
 * page, no acknowledgement (an acknowledgement to an auto-reply is how mail loops start).
 */
export function automaticReason(mail: InboundMail, ours: Ours): string | null {
  const autoSubmitted = headerValue(mail, "auto-submitted")?.split(";")[0]?.trim();
  if (autoSubmitted && autoSubmitted !== "no") return `Auto-Submitted: ${autoSubmitted}`;
  if (mail.envelopeFrom === "") return "a bounce (empty envelope sender)";
  if (headerValue(mail, "return-path")?.replace(/\s/g, "") === "<>") return "a bounce (empty Return-Path)";
  if (/^mailer-daemon@/i.test(mail.from) || /mailer-daemon/i.test(mail.fromName ?? "")) return "a bounce (from MAILER-DAEMON)";
  if (mail.contentType === "multipart/report") return "a delivery or read report (multipart/report)";
  const precedence = headerValue(mail, "precedence");
  if (precedence && ["bulk", "list", "junk"].includes(precedence)) return `Precedence: ${precedence}`;
  if (mail.headers["x-autoreply"] !== undefined || mail.headers["x-autorespond"] !== undefined) return "an auto-reply (X-Autoreply / X-Autorespond)";
  if (ours.addresses.includes(mail.from.toLowerCase())) return "our own message (From is our sender address)";
  if (domainOfId(mail.messageId) === ours.domain.toLowerCase()) return "our own message (Message-ID from our domain)";
  return null;
}

const INCIDENT_ID = /\bINC-\d{8}-[0-9A-F]{8}\b/i;

/** The incident ids a message threads to: our Message-IDs it answers, then an id in its subject. */
export function threadCandidates(mail: InboundMail, domain: string): string[] {
  const ids: string[] = [];
  for (const ref of [mail.inReplyTo, ...mail.references].filter((r): r is string => !!r).reverse()) {
    const match = /^<?(INC-\d{8}-[0-9A-F]{8})\.[^@>]+@([^>]+)>?$/i.exec(ref.trim());
    if (match && match[2]!.toLowerCase() === domain.toLowerCase()) ids.push(match[1]!.toUpperCase());
  }
  const inSubject = INCIDENT_ID.exec(mail.subject)?.[0];
  if (inSubject) ids.push(inSubject.toUpperCase());
  return [...new Set(ids)];
}

/** The address in `Name <address>` (or the whole string), lower-cased. */
export function addressOf(mailbox: string): string {
  return (/<([^>]+)>/.exec(mailbox)?.[1] ?? mailbox).trim().toLowerCase();
}
