import type { Redis } from "ioredis";
import type { Outcome } from "../call/records.ts";
import type { Journal } from "../store/journal.ts";
import type { RedisKeys } from "../store/redis.ts";
import type { CallSessions } from "../store/sessions.ts";
import type { Timeline } from "../store/timeline.ts";
import { raiseOp } from "../store/write-ops.ts";
import { incidentRecord, incidentRowSchema, type IncidentRecord } from "./incident-record.ts";

export interface IncidentsDeps {
  redis: Redis;
  keys: RedisKeys;
  sessions: CallSessions;
  timeline: Timeline;
  journal: Journal;
  /** How long a voicemail's email waits for its transcription. */
  transcriptionWaitMs: number;
  /** MISUSE_CALLS_PER_DAY: past it, the incident is flagged for staff. */
  misuseLimit: number;
  now: () => Date;
}

/** Raising incidents (once per CallSid) and reading them back with their call. */
export class Incidents {
  constructor(private readonly deps: IncidentsDeps) {}

  /**
   * Records the call's outcome and raises its incident, once per CallSid; the journal then makes sure the
   * follow-up exists (on every call, so a crash between raising and queueing is healed by Twilio's retry).
   * Needs nothing read from Redis, so it works, through the spool, while Redis is away. `awaitTranscript`: a
   * voicemail was just recorded, so its email waits for the transcription that may name the contact.
   */
  async raiseOnce(callSid: string, outcome: Outcome, { awaitTranscript = false } = {}): Promise<{ incidentId: string | null; raised: boolean }> {
    const delay = awaitTranscript ? this.deps.transcriptionWaitMs : 0;
    return this.deps.journal.write(raiseOp(callSid, outcome, this.deps.now(), delay));
  }

  /** The caller's call is over: the outcome, if none yet, comes from where the call ended. */
  async callEnded(callSid: string, ended: { callStatus: string; duration: number | null }): Promise<void> {
    await this.deps.journal.write({ op: "ended", callSid, ...ended, at: this.deps.now().toISOString() });
  }

  /** The call an incident belongs to, without assembling the whole incident. */
  async callSidOf(id: string): Promise<string | null> {
    return this.deps.redis.hget(this.deps.keys.incident(id), "callSid");
  }

  /** The incident raised for a call, if any. */
  async idOfCall(callSid: string): Promise<string | null> {
    return this.deps.redis.hget(this.deps.keys.call(callSid), "incidentId");
  }

  async get(id: string): Promise<IncidentRecord | null> {
    const row = await this.deps.redis.hgetall(this.deps.keys.incident(id));
    if (!row.id) return null;
    const incident = incidentRowSchema.parse(row);
    const [call, timeline] = await Promise.all([this.deps.sessions.get(incident.callSid), this.deps.timeline.read(incident.callSid)]);
    if (!call) return null;
    const first = call.meta.groupedWithCall;
    const groupedWith = first && first !== incident.callSid ? await this.idOfCall(first) : null;
    return incidentRecord(incident, call, timeline, this.deps.misuseLimit, groupedWith);
  }

  /** Newest first. */
  async recentIds(limit: number): Promise<string[]> {
    return this.deps.redis.zrevrange(this.deps.keys.incidents(), 0, limit - 1);
  }
}
