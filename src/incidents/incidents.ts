import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import type { FollowupQueues } from "../followup/queues.ts";
import type { CaseState, Delivery, FollowupState } from "../followup/state.ts";
import type { Outcome } from "../line/flow.ts";
import type { CallRecord, CallSessions } from "../line/sessions.ts";
import { RETENTION_SECONDS, type RedisKeys } from "../redis.ts";
import { extractContact } from "./contact.ts";
import type { Timeline } from "./timeline.ts";

/** Same call, same id: a replay after a crash finds the incident it may already have raised. */
export function incidentIdFor(callSid: string, startedAt: string): string {
  const day = startedAt.slice(0, 10).replaceAll("-", "");
  const digest = createHash("sha256").update(callSid).digest("hex").slice(0, 8).toUpperCase();
  return `INC-${day}-${digest}`;
}

// The raise-once guard: the call's outcome and its incident are written in one atomic step, and only by
// the first webhook that knows the outcome. Any later one (a replay, the status callback) finds the field set.
const RAISE_ONCE = `
if redis.call('HSETNX', KEYS[1], 'outcome', ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'incidentId', ARGV[2])
redis.call('HSET', KEYS[2], 'id', ARGV[2], 'callSid', ARGV[3], 'raisedAt', ARGV[4], 'severity', 'SEV1', 'outcome', ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[6])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[2])
return 1`;

const incidentRowSchema = z.object({
  id: z.string(),
  callSid: z.string(),
  raisedAt: z.string(),
  severity: z.literal("SEV1"),
  outcome: z.string(),
});

export interface IncidentsDeps {
  redis: Redis;
  keys: RedisKeys;
  sessions: CallSessions;
  timeline: Timeline;
  queues: FollowupQueues;
  followup: FollowupState;
  /** How long a voicemail's email waits for its transcription. */
  transcriptionWaitMs: number;
  now: () => Date;
}

export class Incidents {
  private readonly redis: Redis;
  private readonly keys: RedisKeys;
  private readonly sessions: CallSessions;
  private readonly timeline: Timeline;
  private readonly queues: FollowupQueues;
  private readonly followup: FollowupState;

  constructor(private readonly deps: IncidentsDeps) {
    ({ redis: this.redis, keys: this.keys, sessions: this.sessions, timeline: this.timeline, queues: this.queues, followup: this.followup } = deps);
  }

  /**
   * Records the call's outcome and raises its incident, once per CallSid; then makes sure the follow-up jobs
   * exist. The jobs are ensured on every call of this method (their ids make that idempotent) so a crash
   * between raising and queueing is healed by Twilio's retry of the same webhook.
   */
  async raiseOnce(callSid: string, outcome: Outcome): Promise<{ incidentId: string; raised: boolean } | null> {
    const call = await this.sessions.get(callSid);
    if (!call) return null;
    const { meta } = call;
    const incidentId = incidentIdFor(callSid, meta.startedAt);
    const at = this.deps.now();
    const raised =
      (await this.redis.eval(
        RAISE_ONCE,
        3,
        this.keys.call(callSid),
        this.keys.incident(incidentId),
        this.keys.incidents(),
        outcome,
        incidentId,
        callSid,
        at.toISOString(),
        at.getTime(),
        RETENTION_SECONDS,
      )) === 1;
    const stored = raised ? incidentId : await this.redis.hget(this.keys.call(callSid), "incidentId");
    if (!stored) return null;
    if (raised) {
      await this.timeline.append(callSid, "incident", {
        at: at.toISOString(),
        event: "incident.raised",
        text: `Incident ${incidentId} raised (SEV1, outcome ${outcome})${meta.drill ? ", drill" : ""}`,
      });
    }
    const awaitingTranscript = call.recording !== null && call.transcription === null;
    await this.queues.enqueueForIncident(stored, { emailDelayMs: awaitingTranscript ? this.deps.transcriptionWaitMs : 0 });
    return { incidentId: stored, raised };
  }

  /**
   * The transcription came in. Before the email went out, it is released now and goes to whatever contact
   * the transcript names. After, nothing is sent twice: a new address is recorded on the incident for staff.
   */
  async transcriptionArrived(callSid: string): Promise<void> {
    const incidentId = await this.redis.hget(this.keys.call(callSid), "incidentId");
    if (!incidentId) return;
    const { email } = await this.followup.read(incidentId);
    if (email.state !== "sent") {
      await this.queues.releaseEmail(incidentId);
      return;
    }
    const view = await this.get(incidentId);
    const spoken = view?.voicemail?.contact?.email;
    if (spoken && spoken !== email.to) {
      await this.followup.write(incidentId, "email", { lateContact: spoken });
      await this.timeline.append(callSid, "late-contact", {
        at: this.deps.now().toISOString(),
        event: "followup.late-contact",
        text: `Transcript names ${spoken}, after the follow-up went to ${email.to}; not sent again — staff, forward it if needed`,
      });
    }
  }

  async get(id: string): Promise<IncidentView | null> {
    const row = await this.redis.hgetall(this.keys.incident(id));
    if (!row.id) return null;
    const incident = incidentRowSchema.parse(row);
    const call = await this.sessions.get(incident.callSid);
    if (!call) return null;
    const [timeline, jobs, followup] = await Promise.all([this.timeline.read(incident.callSid), this.queues.jobStates(id), this.followup.read(id)]);
    return incidentView(incident, call, timeline, {
      mobilise: { ...followup.mobilise, job: jobs.mobilise },
      email: { ...followup.email, job: jobs.email },
      case: followup.case,
    });
  }

  /** Newest first. */
  async list(limit: number): Promise<IncidentView[]> {
    const ids = await this.redis.zrevrange(this.keys.incidents(), 0, limit - 1);
    const views = await Promise.all(ids.map((id) => this.get(id)));
    return views.filter((view): view is IncidentView => view !== null);
  }
}

function incidentView(
  incident: z.infer<typeof incidentRowSchema>,
  call: CallRecord,
  timeline: Awaited<ReturnType<Timeline["read"]>>,
  followup: { mobilise: Delivery & { job: string }; email: Delivery & { job: string }; case: CaseState },
) {
  const { meta } = call;
  const accepted = call.acceptedLevel;
  const engineer = accepted ? meta.engineers[accepted - 1] : undefined;
  const transcript = call.transcription?.status === "completed" ? call.transcription.text : null;
  return {
    id: incident.id,
    severity: incident.severity,
    drill: meta.drill,
    raisedAt: incident.raisedAt,
    outcome: incident.outcome,
    callSid: incident.callSid,
    caller: meta.from,
    partner: meta.partner,
    statusPageIncident: meta.statusNotice?.name ?? null,
    engineer: engineer ? { ...engineer, level: accepted } : null,
    voicemail: call.recording
      ? {
          recordingUrl: call.recording.url,
          recordingSid: call.recording.sid,
          durationSeconds: call.recording.duration,
          transcriptionStatus: call.transcription?.status ?? "pending",
          transcript,
          contact: transcript ? extractContact(transcript) : null,
        }
      : null,
    attempts: call.attempts,
    timeline,
    followup,
  };
}
export type IncidentView = ReturnType<typeof incidentView>;
