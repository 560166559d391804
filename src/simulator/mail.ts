import { randomBytes } from "node:crypto";
import nodemailer from "nodemailer";
import type { MailDoor } from "./checks.ts";
import type { ScenarioEmail } from "./email-scenario.ts";

/**
 * The simulator's mail server: delivers a scenario's email over SMTP to the line's listener, as the
 * partner's MTA would (no login, no TLS: the line's listener takes mail as an MX), and reads the line's
 * answer. The line's 250 names what it stored and the incident it put the message on.
 */

export interface Delivery {
  /** The SMTP reply code (250 stored; 4xx try again; 5xx refused), 0 when no SMTP answer came at all. */
  code: number;
  response: string;
  /** The Message-ID the simulator gave the message: what the line's acknowledgement answers. */
  messageId: string;
  /** The incident the line's answer names, if any ("250 2.0.0 stored as <…> (INC-…)"). */
  incidentId: string | null;
}

/** The message being answered: its Message-ID, and the thread it belongs to. */
export interface Parent {
  messageId: string;
  references: string[];
}

const INCIDENT_IN_ANSWER = /\((INC-\d{8}-[0-9A-F]{8})\)/;
// A delivery that takes longer has stalled: a real MTA would give up and retry later; a drill reports it.
const SMTP_TIMEOUT_MS = 10_000;

/** A fresh Message-ID per delivery of a scenario email (each run of a scenario is new mail to the line). */
export function drillMessageId(email: ScenarioEmail): string {
  return `<drill-${randomBytes(8).toString("hex")}${email.id ? `.${email.id}` : ""}@${email.from.split("@")[1]!}>`;
}

/** Delivers the email; the same `messageId` again is a redelivery, as an MTA makes when a 250 was lost. */
export async function deliverEmail(door: MailDoor, email: ScenarioEmail, parent: Parent | null, messageId: string): Promise<Delivery> {
  const transport = nodemailer.createTransport({
    host: door.host,
    port: door.port,
    secure: false,
    ignoreTLS: true,
    connectionTimeout: SMTP_TIMEOUT_MS,
    greetingTimeout: SMTP_TIMEOUT_MS,
    socketTimeout: SMTP_TIMEOUT_MS,
  });
  try {
    const info = await transport.sendMail({
      from: email.from,
      to: door.to,
      subject: email.subject,
      text: email.body,
      messageId,
      ...(parent && { inReplyTo: parent.messageId, references: [...parent.references, parent.messageId] }),
      headers: email.headers,
    });
    return { code: Number(info.response.slice(0, 3)), response: info.response, messageId, incidentId: INCIDENT_IN_ANSWER.exec(info.response)?.[1] ?? null };
  } catch (error) {
    const e = error as { responseCode?: number; response?: string; message: string };
    return { code: e.responseCode ?? 0, response: e.response ?? e.message, messageId, incidentId: null };
  } finally {
    transport.close();
  }
}

/** "73 h 0 min", "12.5 s": a span of virtual time, for the report. */
export function span(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  // Rounded whole first, so 72 h 59.99 min reads 73 h 0 min.
  if (seconds < 3600) {
    const whole = Math.round(seconds);
    return whole < 3600 ? `${Math.floor(whole / 60)} min ${whole % 60} s` : "1 h 0 min";
  }
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
