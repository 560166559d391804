import { DelayedError, UnrecoverableError, type Job, type Processor } from "bullmq";
import type { Transporter } from "nodemailer";
import { mailTimeline } from "../../call/mail-events.ts";
import type { Config } from "../../config.ts";
import { deliver, type DeliverDeps } from "../deliver.ts";
import { composeDrillReport } from "../drill-report-message.ts";
import { sendFromLine } from "../outgoing.ts";
import { drillReportTarget } from "../drill-report-target.ts";
import type { IncidentView } from "../incident-view.ts";
import { messageDomain as domainOf } from "../thread-message.ts";
import { incidentJobSchema } from "./incident-job.ts";

/**
 * A drill's report to its partner (docs/architecture.md, "The email door"): what the line did with their
 * drill call or drill email, and when. Queued once per incident (job id `drillReport-<incident id>`) when the
 * incident's first message to the partner is done: the follow-up email of a call (by then the transcription
 * has come or been waited for) or the acknowledgement of an email. The send is recorded once
 * (`drillReport:sentAt`) and checked first, like the follow-up's, so a retried job never sends twice.
 */
export const DRILL_REPORT_QUEUE = "drill-report";
export { incidentJobSchema as drillReportJobSchema } from "./incident-job.ts";

/** How long a report waits for the call to end and the page to settle before it goes with what it has. */
export const DRILL_REPORT_MAX_WAIT_MS = 2 * 3600_000;

export interface DrillReportDeps extends DeliverDeps {
  config: Config;
  transport: Transporter;
}

const settled = (delivery: { sentAt?: string; job: string }) => Boolean(delivery.sentAt) || ["completed", "failed", "not-queued"].includes(delivery.job);

/** What the report still waits for: a connected call's follow-up leaves while the caller is still talking. */
export function drillReportWaitsFor(incident: IncidentView): string[] {
  const waits: string[] = [];
  if (incident.channel === "phone" && !incident.timeline.some((e) => e.event === "call.ended")) waits.push("the call to end");
  if (incident.channel === "phone" && !settled(incident.followup.email)) waits.push("the follow-up email");
  if (!settled(incident.followup.mobilise)) waits.push("the page");
  return waits;
}

export function drillReportProcessor(deps: DrillReportDeps): Processor {
  const { config, transport } = deps;
  const messageDomain = domainOf(config.PUBLIC_BASE_URL);
  return async (job, token) => {
    const { incidentId } = incidentJobSchema.parse(job.data);
    const incident = await deps.views.get(incidentId);
    if (!incident) throw new UnrecoverableError(`incident ${incidentId} not found`);
    if (!incident.followup.drillReport.sentAt && drillReportWaitsFor(incident).length) await postpone(job, token);
    return deliver(deps, job, "drillReport", async (current) => {
      const target = drillReportTarget(current);
      if ("notApplicable" in target) return { skipped: target.notApplicable };
      const email = composeDrillReport(current, target.to, { messageDomain });
      const info = await sendFromLine(transport, config, {
        to: email.to,
        subject: email.subject,
        text: email.text,
        messageId: email.messageId,
        headers: { "X-Incident-Id": current.id, "X-Drill": "true", "X-Drill-Report": "true", "Auto-Submitted": "auto-generated" },
      });
      return {
        fields: { to: email.to, messageId: info.messageId, subject: email.subject, text: email.text },
        event: (at) => mailTimeline.drillReportSent(at, email.to),
      };
    });
  };
}

/**
 * Not ready yet: look again shortly, sooner while the wait is young (a drill's call ends in seconds, a real
 * conversation may last an hour). Past DRILL_REPORT_MAX_WAIT_MS the report goes with what it has. A delay
 * is not an attempt, so the retries stay for SMTP failures.
 */
async function postpone(job: Job, token: string | undefined): Promise<void> {
  // Real time, as the job's own timestamp is (a drill's line may run on a scenario's clock).
  const waited = Date.now() - job.timestamp;
  if (waited >= DRILL_REPORT_MAX_WAIT_MS) return;
  const delayMs = Math.min(60_000, Math.max(500, Math.round(waited / 4)));
  await job.moveToDelayed(Date.now() + delayMs, token);
  throw new DelayedError();
}
