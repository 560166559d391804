import type { Processor } from "bullmq";
import type { Transporter } from "nodemailer";
import { timeline } from "../../call/timeline-events.ts";
import type { Config } from "../../config.ts";
import { deliver, type DeliverDeps } from "../deliver.ts";
import { composeFollowup } from "../followup-message.ts";
import { mayClaimAlerted } from "../paging.ts";
import { incidentJobSchema } from "./incident-job.ts";

/** The follow-up email to the partner, asking for what engineers need; its send starts the case hold. */
export const FOLLOWUP_EMAIL_QUEUE = "followup-email";
export { incidentJobSchema as followupEmailJobSchema } from "./incident-job.ts";

export interface FollowupEmailDeps extends DeliverDeps {
  config: Config;
  transport: Transporter;
  /** Starts the case hold once the email is sent (the case desk). */
  startHold(incidentId: string): Promise<void>;
}

export function followupEmailProcessor(deps: FollowupEmailDeps): Processor {
  const { config, transport } = deps;
  const messageDomain = new URL(config.PUBLIC_BASE_URL).hostname || "emergency-line";
  return async (job) => {
    const result = await deliver(deps, job, "email", async (incident) => {
      // A repeated call from the same number: the partner already has the first call's email and case.
      if (incident.groupedWith) return { skipped: `grouped with ${incident.groupedWith}` };
      const alerted = mayClaimAlerted(incident, config);
      const email = composeFollowup(incident, { supportEmail: config.SUPPORT_EMAIL, caseHoldHours: config.CASE_HOLD_HOURS, messageDomain, alerted });
      const info = await transport.sendMail({
        from: config.FOLLOWUP_FROM,
        to: email.to,
        replyTo: config.SUPPORT_EMAIL,
        subject: email.subject,
        text: email.text,
        html: email.html,
        // A fixed Message-ID: should a send be repeated after a crash, mail systems fold the copies.
        messageId: email.messageId,
        headers: { "X-Incident-Id": incident.id, ...(incident.drill ? { "X-Drill": "true" } : {}) },
      });
      return {
        // Kept as sent, so staff see exactly what the partner received.
        fields: { to: email.to, messageId: info.messageId, recipientSource: email.recipientSource, subject: email.subject, text: email.text },
        event: (at) => timeline.emailSent(at, email.to, email.recipientSource),
      };
    });
    // Also on a retry that finds the email already sent: a crash may have come between send and hold. A
    // skipped email has no hold: nothing was asked of the partner.
    if (!("skipped" in result)) await deps.startHold(incidentJobSchema.parse(job.data).incidentId);
    return result;
  };
}
