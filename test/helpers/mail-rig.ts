import type Mail from "nodemailer/lib/mailer";
import { startFollowupRig } from "./followup-rig.ts";
import type { TestLine } from "./line.ts";
import { deliverMail } from "./mail.ts";

export const SUPPORT = "support@platform.test";

/**
 * The follow-up rig with the line's SMTP listener on: mail delivered as a mail server would, and what the
 * line sends back captured. `defaults` are the variables every line of the test file shares.
 */
export async function startMailRig(defaults: Record<string, string> = {}, options: Parameters<typeof startFollowupRig>[0] = {}) {
  const rig = await startFollowupRig(options);
  return {
    ...rig,
    line: (name: string, env: Record<string, string> = {}) => rig.line(name, { INBOUND_SMTP_PORT: "0", TRANSCRIPTION_WAIT_SECONDS: "0", ...defaults, ...env }),
    deliver: (t: TestLine, message: Mail.Options) => deliverMail(t, SUPPORT, message),
    mailsTo: (address: string) => rig.smtp.messages.filter((m) => m.envelopeTo.includes(address)),
  };
}

/** The incident id the line's SMTP answer names ("250 … (INC-…)"). */
export const idFrom = (response: string) => /\((INC-\d{8}-[0-9A-F]{8})\)/.exec(response)?.[1];
