import type { Redis } from "ioredis";
import { z } from "zod";
import { engineerSchema } from "../roster/engineers.ts";
import { partnerSchema } from "../roster/partners.ts";
import { RETENTION_SECONDS, type RedisKeys } from "../redis.ts";
import { legResultSchema, outcomeSchema, stageSchema, type Stage } from "./flow.ts";

export const callMetaSchema = z.object({
  callSid: z.string(),
  from: z.string(),
  to: z.string(),
  drill: z.boolean(),
  partner: partnerSchema.nullable(),
  startedAt: z.iso.datetime(),
  // The roster as it was when the call came in: a roster change mid-call must not shift the levels.
  engineers: z.array(engineerSchema),
  statusNotice: z.object({ name: z.string(), link: z.string().nullable() }).nullable(),
});
export type CallMeta = z.infer<typeof callMetaSchema>;

export const attemptSchema = z.object({
  level: z.number().int(),
  engineer: engineerSchema,
  result: legResultSchema,
  dialStatus: z.string(),
  seconds: z.number().int().min(0),
  endedAt: z.iso.datetime(),
});
export type Attempt = z.infer<typeof attemptSchema>;

export const recordingSchema = z.object({
  url: z.string(),
  sid: z.string(),
  duration: z.number().int().min(0),
  status: z.string().optional(),
});
export type Recording = z.infer<typeof recordingSchema>;

export const transcriptionSchema = z.object({
  status: z.enum(["completed", "failed"]),
  text: z.string(),
  sid: z.string().nullable(),
});
export type Transcription = z.infer<typeof transcriptionSchema>;

export const callRecordSchema = z.object({
  meta: callMetaSchema,
  stage: stageSchema,
  level: z.number().int(),
  attempts: z.array(attemptSchema),
  answeredLevels: z.array(z.number().int()),
  acceptedLevel: z.number().int().nullable(),
  declinedLevels: z.array(z.number().int()),
  outcome: outcomeSchema.nullable(),
  incidentId: z.string().nullable(),
  recording: recordingSchema.nullable(),
  transcription: transcriptionSchema.nullable(),
  callStatus: z.string().nullable(),
  duration: z.number().int().nullable(),
  endedAt: z.string().nullable(),
});
export type CallRecord = z.infer<typeof callRecordSchema>;

/**
 * The call session: one Redis hash per CallSid. Each fact is its own field, written with HSET or HSETNX,
 * so two webhooks of one call (Twilio retries, status callbacks racing the flow) never overwrite each other.
 */
export class CallSessions {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** Creates the session once; a replayed first webhook gets the stored one back. */
  async start(meta: CallMeta): Promise<{ meta: CallMeta; created: boolean }> {
    const key = this.keys.call(meta.callSid);
    const [[, created]] = (await this.redis
      .multi()
      .hsetnx(key, "meta", JSON.stringify(meta))
      .hsetnx(key, "stage", "greeting")
      .expire(key, RETENTION_SECONDS)
      .zadd(this.keys.calls(), "NX", Date.parse(meta.startedAt), meta.callSid)
      .exec()) as [[Error | null, number]];
    if (created === 1) return { meta, created: true };
    const stored = await this.meta(meta.callSid);
    return { meta: stored ?? meta, created: false };
  }

  async meta(callSid: string): Promise<CallMeta | null> {
    const raw = await this.redis.hget(this.keys.call(callSid), "meta");
    return raw ? callMetaSchema.parse(JSON.parse(raw)) : null;
  }

  async setStage(callSid: string, stage: Stage, level?: number): Promise<void> {
    const fields: Record<string, string> = { stage };
    if (level !== undefined) fields.level = String(level);
    await this.redis.hset(this.keys.call(callSid), fields);
  }

  async markAnswered(callSid: string, level: number): Promise<void> {
    await this.redis.hset(this.keys.call(callSid), `answered:${level}`, "1");
  }

  /** The first key an engineer pressed at a level is the one that counts. Returns the decision that stands. */
  async decide(callSid: string, level: number, decision: "accepted" | "declined"): Promise<"accepted" | "declined"> {
    const key = this.keys.call(callSid);
    const [[, , ], [, stored]] = (await this.redis
      .multi()
      .hsetnx(key, `decision:${level}`, decision)
      .hget(key, `decision:${level}`)
      .exec()) as [[Error | null, number], [Error | null, string]];
    return stored === "accepted" ? "accepted" : "declined";
  }

  async recordAttempt(callSid: string, attempt: Attempt): Promise<void> {
    // HSETNX: a replayed Dial action keeps the first account of the leg.
    await this.redis.hsetnx(this.keys.call(callSid), `attempt:${attempt.level}`, JSON.stringify(attempt));
  }

  /**
   * The Record action and the recording status callback race each other; each writes its own field and
   * reads merge them, so neither erases the other.
   */
  async setRecording(callSid: string, source: "action" | "status", recording: Recording): Promise<void> {
    await this.redis.hset(this.keys.call(callSid), `recording:${source}`, JSON.stringify(recording));
  }

  async setTranscription(callSid: string, transcription: Transcription): Promise<void> {
    await this.redis.hset(this.keys.call(callSid), "transcription", JSON.stringify(transcription));
  }

  async setEnded(callSid: string, ended: { callStatus: string; duration: number | null; endedAt: string }): Promise<void> {
    const fields: Record<string, string> = { callStatus: ended.callStatus, endedAt: ended.endedAt, stage: "ended" };
    if (ended.duration !== null) fields.duration = String(ended.duration);
    await this.redis.hset(this.keys.call(callSid), fields);
  }

  async get(callSid: string): Promise<CallRecord | null> {
    const hash = await this.redis.hgetall(this.keys.call(callSid));
    return hash.meta ? parseRecord(hash) : null;
  }

  /** Newest first. */
  async recent(limit: number): Promise<string[]> {
    return this.redis.zrevrange(this.keys.calls(), 0, limit - 1);
  }
}

function parseRecord(hash: Record<string, string>): CallRecord {
  const json = (field: string) => (hash[field] ? JSON.parse(hash[field]) : null);
  const levels = (prefix: string) =>
    Object.keys(hash)
      .filter((field) => field.startsWith(prefix))
      .map((field) => Number(field.slice(prefix.length)))
      .sort((a, b) => a - b);
  const decided = levels("decision:");
  const accepted = decided.find((level) => hash[`decision:${level}`] === "accepted");
  return callRecordSchema.parse({
    meta: json("meta"),
    stage: hash.stage ?? "greeting",
    level: Number(hash.level ?? 0),
    attempts: levels("attempt:").map((level) => json(`attempt:${level}`)),
    answeredLevels: levels("answered:"),
    acceptedLevel: accepted ?? null,
    declinedLevels: decided.filter((level) => hash[`decision:${level}`] === "declined"),
    outcome: hash.outcome ?? null,
    incidentId: hash.incidentId ?? null,
    recording: mergeRecording(json("recording:action"), json("recording:status")),
    transcription: json("transcription"),
    callStatus: hash.callStatus ?? null,
    duration: hash.duration ? Number(hash.duration) : null,
    endedAt: hash.endedAt ?? null,
  });
}

function mergeRecording(action: Recording | null, status: Recording | null): Recording | null {
  if (!action && !status) return null;
  return { ...status, ...action, status: status?.status ?? action?.status } as Recording;
}
