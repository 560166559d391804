import { setTimeout as sleep } from "node:timers/promises";
import { UnrecoverableError, type Job } from "bullmq";
import { mailTimeline } from "../call/mail-events.ts";
import { timeline as events } from "../call/timeline-events.ts";
import { isUnavailable } from "../store/connect.ts";
import type { DeliveryKind, FollowupState } from "../store/followup-state.ts";
import type { Timeline } from "../store/timeline.ts";
import type { IncidentView } from "./incident-view.ts";
import { incidentJobSchema } from "./jobs/incident-job.ts";

export interface DeliverDeps {
  views: { get(id: string): Promise<IncidentView | null> };
  followup: FollowupState;
  timeline: Timeline;
  now: () => Date;
}

export interface Sent {
  fields: Record<string, string | number>;
  event: (at: string) => Parameters<Timeline["append"]>[1];
}
export type Skipped = { skipped: string };

/**
 * The shape both deliveries share: check the incident for a recorded send before doing anything, record the
 * send before the job is acknowledged, so a retried or re-delivered job never sends twice; after the last
 * attempt, the incident says the step failed and why.
 */
export async function deliver(deps: DeliverDeps, job: Job, kind: DeliveryKind, send: (incident: IncidentView) => Promise<Sent | Skipped>) {
  const { incidentId } = incidentJobSchema.parse(job.data);
  const incident = await deps.views.get(incidentId);
  if (!incident) throw new UnrecoverableError(`incident ${incidentId} not found`);
  if (incident.followup[kind].sentAt) return { alreadySent: true };

  const attempt = job.attemptsMade + 1;
  const finalAttempt = attempt >= (job.opts.attempts ?? 1);
  let result: Sent | Skipped;
  try {
    result = await send(incident);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const giveUp = finalAttempt || error instanceof UnrecoverableError;
    await deps.followup.write(incidentId, kind, { state: giveUp ? "failed" : "queued", error: message, attempts: attempt });
    if (giveUp) {
      const at = deps.now().toISOString();
      await deps.timeline.append(incident.subjectId, kind === "drillReport" ? mailTimeline.drillReportFailed(at, attempt, message) : events.deliveryFailed(at, kind, attempt, message));
      // A real incident nobody was paged for: the console and /readyz say so until it is paged.
      if (kind === "mobilise" && !incident.drill) await deps.followup.pagingFailed(incidentId, deps.now());
    }
    throw error;
  }
  if ("skipped" in result) {
    await deps.followup.write(incidentId, kind, { state: "skipped", reason: result.skipped });
    return result;
  }
  const sentAt = deps.now().toISOString();
  if (await recordPatiently(() => deps.followup.markSent(incidentId, kind, { ...result.fields, sentAt, attempts: attempt }))) {
    await deps.timeline.append(incident.subjectId, result.event(sentAt));
    if (kind === "mobilise") await deps.followup.pagingSent(incidentId);
  }
  return result.fields;
}

/**
 * Once the email or page has left, recording it is all that stands between a retry and a second send: a
 * Redis failover (a few seconds) must not turn into a duplicate, so an outage is waited out, for a while.
 */
export async function recordPatiently<T>(record: () => Promise<T>, patienceMs = 20_000): Promise<T> {
  const deadline = Date.now() + patienceMs;
  for (let delayMs = 100; ; delayMs = Math.min(delayMs * 2, 1000)) {
    try {
      return await record();
    } catch (error) {
      if (!isUnavailable(error) || Date.now() + delayMs > deadline) throw error;
      await sleep(delayMs);
    }
  }
}
