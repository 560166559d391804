import { UnrecoverableError, Worker, type Job } from "bullmq";
import nodemailer from "nodemailer";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import { connectWorkerRedis } from "../redis.ts";
import type { Incidents, IncidentView } from "../incidents/incidents.ts";
import type { Timeline } from "../incidents/timeline.ts";
import type { CaseDesk } from "./cases.ts";
import { composeFollowup } from "./message.ts";
import { mobiliseRequest } from "./mobilise.ts";
import { caseCloseJobSchema, incidentJobSchema, QUEUE_NAMES } from "./queues.ts";
import type { FollowupState, Step } from "./state.ts";

export interface WorkerDeps {
  config: Config;
  prefix: string;
  incidents: Incidents;
  followup: FollowupState;
  timeline: Timeline;
  cases: CaseDesk;
  log: Logger;
  now: () => Date;
}

const MOBILISE_TIMEOUT_MS = 10_000;

/**
 * The three follow-up workers. Each job checks the incident for a recorded send before doing anything and
 * records the send before it is acknowledged, so a retried or re-delivered job never sends twice.
 */
export function startWorkers(deps: WorkerDeps): { close(): Promise<void>; workers: Worker[] } {
  const { config, prefix, log } = deps;
  const transport = nodemailer.createTransport(config.SMTP_URL);
  const connection = connectWorkerRedis(config.REDIS_URL);
  const options = { connection, prefix, concurrency: 5 };
  const messageDomain = new URL(config.PUBLIC_BASE_URL).hostname || "emergency-line";

  const workers = [
    new Worker(QUEUE_NAMES.mobilise, (job) => deliver(deps, job, "mobilise", (incident) => mobilise(deps, incident)), options),
    new Worker(
      QUEUE_NAMES.email,
      async (job) => {
        const result = await deliver(deps, job, "email", async (incident) => {
          const email = composeFollowup(incident, { supportEmail: config.SUPPORT_EMAIL, caseHoldHours: config.CASE_HOLD_HOURS, messageDomain });
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
            text: `Follow-up email sent to ${email.to} (${email.recipientSource})`,
          };
        });
        // Also on a retry that finds the email already sent: a crash may have come between send and hold.
        await deps.cases.startHold(incidentJobSchema.parse(job.data).incidentId);
        return result;
      },
      options,
    ),
    new Worker(
      QUEUE_NAMES.caseClose,
      async (job) => {
        const data = caseCloseJobSchema.parse(job.data);
        return { closed: await deps.cases.closeIfUnanswered(data.incidentId, data.generation) };
      },
      options,
    ),
  ];
  for (const worker of workers) {
    worker.on("failed", (job, err) => log.warn({ queue: worker.name, jobId: job?.id, attempt: job?.attemptsMade, err }, "follow-up job failed"));
    worker.on("error", (err) => log.error({ queue: worker.name, err }, "worker error"));
  }
  return {
    workers,
    async close() {
      // Worker.close waits for jobs in flight to finish; anything not started stays queued in Redis.
      await Promise.all(workers.map((worker) => worker.close()));
      transport.close();
      connection.disconnect();
    },
  };
}

interface Sent {
  fields: Record<string, string | number>;
  text: string;
}
type Skipped = { skipped: string };

async function deliver(deps: WorkerDeps, job: Job, step: Step, send: (incident: IncidentView) => Promise<Sent | Skipped>) {
  const { incidentId } = incidentJobSchema.parse(job.data);
  const incident = await deps.incidents.get(incidentId);
  if (!incident) throw new UnrecoverableError(`incident ${incidentId} not found`);
  if (incident.followup[step].sentAt) return { alreadySent: true };

  const attempt = job.attemptsMade + 1;
  const finalAttempt = attempt >= (job.opts.attempts ?? 1);
  let result: Sent | Skipped;
  try {
    result = await send(incident);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const giveUp = finalAttempt || error instanceof UnrecoverableError;
    await deps.followup.write(incidentId, step, { state: giveUp ? "failed" : "queued", error: message, attempts: attempt });
    if (giveUp) {
      await deps.timeline.append(incident.callSid, `${step}:failed`, {
        at: deps.now().toISOString(),
        event: `followup.${step}-failed`,
        text: `${step === "email" ? "Follow-up email" : "Mobilisation"} failed after ${attempt} attempt(s): ${message}`,
      });
    }
    throw error;
  }
  if ("skipped" in result) {
    await deps.followup.write(incidentId, step, { state: "skipped", reason: result.skipped });
    return result;
  }
  const sentAt = deps.now().toISOString();
  if (await deps.followup.markSent(incidentId, step, { ...result.fields, sentAt, attempts: attempt })) {
    await deps.timeline.append(incident.callSid, `${step}:sent`, { at: sentAt, event: `followup.${step}-sent`, text: result.text });
  }
  return result.fields;
}

async function mobilise(deps: WorkerDeps, incident: IncidentView): Promise<Sent | Skipped> {
  const request = mobiliseRequest(incident, deps.config);
  if (!request.send) return { skipped: request.reason };
  const response = await fetch(request.url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request.body),
    signal: AbortSignal.timeout(MOBILISE_TIMEOUT_MS),
  });
  await response.body?.cancel();
  if (!response.ok) {
    const message = `webhook answered HTTP ${response.status}`;
    // A 4xx other than 408/429 says the request itself is wrong: retrying cannot help.
    if (response.status >= 400 && response.status < 500 && ![408, 429].includes(response.status)) throw new UnrecoverableError(message);
    throw new Error(message);
  }
  return {
    fields: { target: request.target, httpStatus: response.status },
    text: `Responders mobilised via the ${request.target === "drill" ? "drill" : "on-call"} webhook (HTTP ${response.status})`,
  };
}
