import type { Redis } from "ioredis";
import { z } from "zod";
import type { FollowupQueues } from "../followup/queues.ts";
import type { CaseState, Delivery, FollowupState } from "../followup/state.ts";
import type { Outcome } from "../line/flow.ts";
import type { CallRecord, CallSessions } from "../line/sessions.ts";
import type { RedisKeys } from "../redis.ts";
import { extractContact } from "./contact.ts";
import { raiseOp, type Journal } from "./journal.ts";
import type { Timeline } from "./timeline.ts";

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
  journal: Journal;
  /** How long a voicemail's email waits for its transcription. */
  transcriptionWaitMs: number;
  /** MISUSE_CALLS_PER_DAY: past it, the incident is flagged for staff. */
  misuseLimit: number;
  now: () => Date;
}

export class Incidents {
  constructor(private readonly deps: IncidentsDeps) {}

  /**
   * Records the call's outcome and raises its incident, once per CallSid; then makes sure the follow-up jobs
   * exist (on every call, so a crash between raising and queueing is healed by Twilio's retry). Needs nothing
   * read from Redis, so it works, through the spool, while Redis is away. `awaitTranscript`: a voicemail was
   * just recorded, so its email waits for the transcription that may name the contact.
   */
  async raiseOnce(callSid: string, outcome: Outcome, { awaitTranscript = false } = {}): Promise<{ incidentId: string | null; raised: boolean }> {
    const delay = awaitTranscript ? this.deps.transcriptionWaitMs : 0;
    return this.deps.journal.write(raiseOp(callSid, outcome, this.deps.now(), delay));
  }

  /** The caller's call is over: the outcome, if none yet, comes from where the call ended. */
  async callEnded(callSid: string, ended: { callStatus: string; duration: number | null }): Promise<void> {
    await this.deps.journal.write({ op: "ended", callSid, ...ended, at: this.deps.now().toISOString() });
  }

  /** A transcription arrived; what it changes for the follow-up is decided once Redis has it. */
  async transcribed(callSid: string): Promise<void> {
    await this.deps.journal.write({ op: "transcribed", callSid });
  }

  /**
   * The transcription came in. Before the email went out, it is released now and goes to whatever contact
   * the transcript names. After, nothing is sent twice: a new address is recorded on the incident for staff.
   */
  readonly transcriptionArrived = async (callSid: string): Promise<void> => {
    const incidentId = await this.deps.redis.hget(this.deps.keys.call(callSid), "incidentId");
    if (!incidentId) return;
    const { email } = await this.deps.followup.read(incidentId);
    if (email.state !== "sent") {
      await this.deps.queues.releaseEmail(incidentId);
      return;
    }
    const view = await this.get(incidentId);
    const spoken = view?.voicemail?.contact?.email;
    if (spoken && spoken !== email.to) {
      await this.deps.followup.write(incidentId, "email", { lateContact: spoken });
      await this.deps.timeline.append(callSid, "late-contact", {
        at: this.deps.now().toISOString(),
        event: "followup.late-contact",
        text: `Transcript names ${spoken}, after the follow-up went to ${email.to}; not sent again — staff, forward it if needed`,
      });
    }
  };

  /** The call an incident belongs to, without assembling the whole incident. */
  async callSidOf(id: string): Promise<string | null> {
    return this.deps.redis.hget(this.deps.keys.incident(id), "callSid");
  }

  async get(id: string): Promise<IncidentView | null> {
    const row = await this.deps.redis.hgetall(this.deps.keys.incident(id));
    if (!row.id) return null;
    const incident = incidentRowSchema.parse(row);
    const call = await this.deps.sessions.get(incident.callSid);
    if (!call) return null;
    const [timeline, jobs, followup] = await Promise.all([this.deps.timeline.read(incident.callSid), this.deps.queues.jobStates(id), this.deps.followup.read(id)]);
    return incidentView(incident, call, timeline, this.deps.misuseLimit, {
      mobilise: { ...followup.mobilise, job: jobs.mobilise },
      email: { ...followup.email, job: jobs.email },
      case: followup.case,
    });
  }

  /** Newest first. */
  async list(limit: number): Promise<IncidentView[]> {
    const ids = await this.deps.redis.zrevrange(this.deps.keys.incidents(), 0, limit - 1);
    const views = await Promise.all(ids.map((id) => this.get(id)));
    return views.filter((view): view is IncidentView => view !== null);
  }
}

function incidentView(
  incident: z.infer<typeof incidentRowSchema>,
  call: CallRecord,
  timeline: Awaited<ReturnType<Timeline["read"]>>,
  misuseLimit: number,
  followup: { mobilise: Delivery & { job: string }; email: Delivery & { job: string }; case: CaseState },
) {
  const { meta } = call;
  const accepted = call.acceptedLevel;
  const engineer = accepted ? meta.engineers[accepted - 1] : undefined;
  const transcript = call.transcription?.status === "completed" ? call.transcription.text : null;
  const acceptedAt = timeline.find((event) => event.event === "engineer.accepted")?.at;
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
    // Still put through (it may be a real outage), but staff should look at a number calling this often.
    misuse: meta.callsInLastDay !== null && meta.callsInLastDay > misuseLimit ? { callsInLastDay: meta.callsInLastDay, limit: misuseLimit } : null,
    engineer: engineer ? { ...engineer, level: accepted } : null,
    timeToHumanSeconds: acceptedAt ? (Date.parse(acceptedAt) - Date.parse(meta.startedAt)) / 1000 : null,
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
