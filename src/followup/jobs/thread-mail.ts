import { UnrecoverableError, type Processor } from "bullmq";
import type { Transporter } from "nodemailer";
import { z } from "zod";
import type { ThreadMessage } from "../../call/mail.ts";
import { mailTimeline } from "../../call/mail-events.ts";
import type { Config } from "../../config.ts";
import type { MailStore } from "../../store/mail-store.ts";
import type { Timeline } from "../../store/timeline.ts";
import { recordPatiently } from "../deliver.ts";
import { drillReportTarget } from "../drill-report-target.ts";
import type { IncidentView } from "../incident-view.ts";
import { sendFromLine } from "../outgoing.ts";
import { composeAcknowledgement, composeClosing, messageDomain } from "../thread-message.ts";

/**
 * Mail on an incident's thread (docs/architecture.md, "The email door"): the acknowledgement of a partner's
 * email, a staff reply (already on the thread, waiting to leave) and the closing note when a hold runs out.
 * One job per message (job id), and the send is recorded once and checked first, so a retry never sends twice.
 */
export const THREAD_MAIL_QUEUE = "thread-mail";
export const threadMailJobSchema = z.discriminatedUnion("kind", [
  z.object({ incidentId: z.string(), kind: z.literal("ack") }),
  z.object({ incidentId: z.string(), kind: z.literal("reply"), messageId: z.string() }),
  z.object({ incidentId: z.string(), kind: z.literal("closing"), generation: z.number().int() }),
]);
export type ThreadMailJob = z.infer<typeof threadMailJobSchema>;

/** The job's id: what it is about, without ':' (BullMQ forbids it) nor the <> of a Message-ID. */
export function threadMailJobId(job: ThreadMailJob): string {
  const about = job.kind === "reply" ? job.messageId.replace(/[^A-Za-z0-9.-]/g, "_") : job.kind === "closing" ? String(job.generation) : "0";
  return `mail-${job.kind}-${job.incidentId}-${about}`;
}

export interface ThreadMailDeps {
  config: Config;
  transport: Transporter;
  views: { get(id: string): Promise<IncidentView | null> };
  mail: MailStore;
  timeline: Timeline;
  /** A staff reply left: the case waits for the partner from now (the case desk). */
  holdAfterReply(incidentId: string, messageId: string): Promise<void>;
  /** A drill email's report to its sender, asked for once the acknowledgement is sent (jobs/drill-report.ts). */
  queueDrillReport(incidentId: string): Promise<void>;
  now: () => Date;
}

export function threadMailProcessor(deps: ThreadMailDeps): Processor {
  const { config, transport, mail, timeline, now } = deps;
  const options = () => ({ from: config.FOLLOWUP_FROM, supportEmail: config.SUPPORT_EMAIL, caseHoldHours: config.CASE_HOLD_HOURS, domain: messageDomain(config.PUBLIC_BASE_URL), now: now() });
  return async (job) => {
    const data = threadMailJobSchema.parse(job.data);
    const incident = await deps.views.get(data.incidentId);
    if (!incident) throw new UnrecoverableError(`incident ${data.incidentId} not found`);
    const message: ThreadMessage | null =
      data.kind === "reply"
        ? (incident.thread.find((m) => m.messageId === data.messageId) ?? null)
        : data.kind === "ack"
          ? composeAcknowledgement(incident, options())
          : composeClosing(incident, data.generation, options());
    if (!message) {
      if (data.kind === "reply") throw new UnrecoverableError(`reply ${data.messageId} is not on the thread of ${incident.id}`);
      return { skipped: "no partner address to write to" };
    }
    if (!(await mail.sentAt(incident.id, message.messageId))) {
      await sendFromLine(transport, config, {
        to: message.to,
        subject: message.subject,
        text: message.text,
        messageId: message.messageId,
        inReplyTo: message.inReplyTo ?? undefined,
        references: message.references,
        headers: {
          "X-Incident-Id": incident.id,
          // RFC 3834: what a machine wrote says so, and well-behaved auto-responders stay quiet: no loops.
          ...(data.kind !== "reply" ? { "Auto-Submitted": "auto-replied" } : {}),
          ...(incident.drill ? { "X-Drill": "true" } : {}),
        },
      });
      // Recording the send is all that stands between a retry and a second email: a failover is waited out.
      await recordPatiently(() => mail.markSent(incident.id, message.messageId, now().toISOString()));
    }
    if (data.kind !== "reply") await mail.append(incident.id, message);
    const at = now().toISOString();
    const event =
      data.kind === "ack"
        ? mailTimeline.acknowledged(at, message.to, incident.severity)
        : data.kind === "reply"
          ? mailTimeline.replySent(at, message.to, message.messageId)
          : mailTimeline.closingSent(at, message.to, data.generation);
    await timeline.append(incident.subjectId, event);
    if (data.kind === "reply") await deps.holdAfterReply(incident.id, message.messageId);
    if (data.kind === "ack" && !("notApplicable" in drillReportTarget(incident))) await deps.queueDrillReport(incident.id);
    return { sent: message.messageId, to: message.to };
  };
}
