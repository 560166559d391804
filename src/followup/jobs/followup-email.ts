import { UnrecoverableError, type Processor } from "bullmq";
import type { Transporter } from "nodemailer";
import { timeline } from "../../call/timeline-events.ts";
import type { Config } from "../../config.ts";
import { deliver, type DeliverDeps } from "../deliver.ts";
import type { MailStore } from "../../store/mail-store.ts";
import { drillReportTarget } from "../drill-report-target.ts";
import { composeFollowup } from "../followup-message.ts";
import { sendFromLine } from "../outgoing.ts";
import { messageDomain as domainOf } from "../thread-message.ts";
import { mayClaimAlerted } from "../paging.ts";
import { incidentJobSchema } from "./incident-job.ts";

/** The follow-up email to the partner, asking for what engineers need; its send starts the case hold. */
export const FOLLOWUP_EMAIL_QUEUE = "followup-email";
export { incidentJobSchema as followupEmailJobSchema } from "./incident-job.ts";

export interface FollowupEmailDeps extends DeliverDeps {
  config: Config;
  transport: Transporter;
  /** The incident's mail thread: the follow-up is its first message, so the partner's reply threads to it. */
  mail: MailStore;
  /** Starts the case hold once the email is sent (the case desk). */
  startHold(incidentId: string): Promise<void>;
  /** A drill's report to its partner, asked for once the follow-up is done (jobs/drill-report.ts). */
  queueDrillReport(incidentId: string): Promise<void>;
}

export function followupEmailProcessor(deps: FollowupEmailDeps): Processor {
  const { config, transport } = deps;
  const messageDomain = domainOf(config.PUBLIC_BASE_URL);
  return async (job) => {
    const { incidentId } = incidentJobSchema.parse(job.data);
    const result = await deliver(deps, job, "email", async (incident) => {
      // A repeated call from the same number: the partner already has the first call's email and case.
      if (incident.groupedWith) return { skipped: `grouped with ${incident.groupedWith}` };
      const alerted = mayClaimAlerted(incident, config);
      const email = composeFollowup(incident, { supportEmail: config.SUPPORT_EMAIL, caseHoldHours: config.CASE_HOLD_HOURS, messageDomain, alerted });
      const info = await sendFromLine(transport, config, {
        to: email.to,
        subject: email.subject,
        text: email.text,
        html: email.html,
        messageId: email.messageId,
        headers: { "X-Incident-Id": incident.id, ...(incident.drill ? { "X-Drill": "true" } : {}) },
      });
      return {
        // Kept as sent, so staff see exactly what the partner received.
        fields: { to: email.to, messageId: info.messageId, recipientSource: email.recipientSource, subject: email.subject, text: email.text },
        event: (at) => timeline.emailSent(at, email.to, email.recipientSource),
      };
    }).catch(async (error: unknown) => {
      // The follow-up gave up: a drill's report still goes, saying so.
      if (error instanceof UnrecoverableError || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await drillReportAfter(deps, incidentId).catch(() => undefined);
      throw error;
    });
    // Also on a retry that finds the email already sent: a crash may have come between send and hold. A
    // skipped email has no hold: nothing was asked of the partner.
    await Promise.all([!("skipped" in result) && deps.startHold(incidentId), onThread(deps, incidentId), drillReportAfter(deps, incidentId)]);
    return result;
  };
}

/**
 * A drill call's report goes once the follow-up is done (sent or skipped): by then the transcription has come
 * or been waited for, and the report can say when the follow-up left. Only a drill with a partner address.
 */
async function drillReportAfter(deps: FollowupEmailDeps, incidentId: string): Promise<void> {
  const incident = await deps.views.get(incidentId);
  if (incident && !("notApplicable" in drillReportTarget(incident))) await deps.queueDrillReport(incidentId);
}

/** The follow-up, as recorded once sent, opens the incident's mail thread: the partner's reply threads to it. */
async function onThread(deps: FollowupEmailDeps, incidentId: string): Promise<void> {
  const { email } = await deps.followup.read(incidentId);
  if (!email.sentAt || !email.messageId || !email.to) return;
  await deps.mail.append(incidentId, {
    direction: "out",
    kind: "followup",
    messageId: email.messageId,
    at: email.sentAt,
    from: deps.config.FOLLOWUP_FROM,
    to: email.to,
    replyTo: null,
    subject: email.subject ?? "",
    text: email.text ?? "",
    inReplyTo: null,
    references: [],
    attachments: [],
    facts: { traceIds: [], endpoints: [], environments: [], timestamps: [] },
  });
}
