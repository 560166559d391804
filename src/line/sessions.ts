import type { Redis } from "ioredis";
import { z } from "zod";
import { engineerSchema } from "../roster/engineers.ts";
import { partnerSchema } from "../roster/partners.ts";
import type { Journal } from "../incidents/journal.ts";
import type { RedisKeys } from "../redis.ts";
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
  /** Calls from this number in the 24 hours up to this one, this one included; null when it could not be counted. */
  callsInLastDay: z.number().int().nullable().default(null),
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
 * Writes go through the journal, which spools them locally when Redis does not answer; reads then come from
 * what this process knows: the call's meta (cached, it never changes) and its spooled writes.
 */
export class CallSessions {
  private readonly metaCache = new Map<string, CallMeta>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly journal: Journal,
  ) {}

  /** Creates the session once; a replayed first webhook gets the stored one back. */
  async start(meta: CallMeta): Promise<{ meta: CallMeta; created: boolean }> {
    const stored = await this.journal.write({
      op: "hash",
      callSid: meta.callSid,
      setnx: { meta: JSON.stringify(meta), stage: "greeting" },
      set: {},
      indexAt: Date.parse(meta.startedAt),
    });
    const kept = callMetaSchema.parse(JSON.parse(stored.meta!));
    this.remember(kept);
    return { meta: kept, created: stored.meta === JSON.stringify(meta) };
  }

  async meta(callSid: string): Promise<CallMeta | null> {
    return (await this.get(callSid))?.meta ?? null;
  }

  async setStage(callSid: string, stage: Stage, level?: number): Promise<void> {
    await this.set(callSid, { stage, ...(level !== undefined && { level: String(level) }) });
  }

  async markAnswered(callSid: string, level: number): Promise<void> {
    await this.set(callSid, { [`answered:${level}`]: "1" });
  }

  /** The first key an engineer pressed at a level is the one that counts. Returns the decision that stands. */
  async decide(callSid: string, level: number, decision: "accepted" | "declined"): Promise<"accepted" | "declined"> {
    const stored = await this.journal.write({ op: "hash", callSid, setnx: { [`decision:${level}`]: decision }, set: {} });
    return stored[`decision:${level}`] === "accepted" ? "accepted" : "declined";
  }

  /** HSETNX: a replayed Dial action keeps the first account of the leg. True when this was the first. */
  async recordAttempt(callSid: string, attempt: Attempt): Promise<boolean> {
    const json = JSON.stringify(attempt);
    const stored = await this.journal.write({ op: "hash", callSid, setnx: { [`attempt:${attempt.level}`]: json }, set: {} });
    return stored[`attempt:${attempt.level}`] === json;
  }

  /**
   * The Record action and the recording status callback race each other; each writes its own field and
   * reads merge them, so neither erases the other.
   */
  async setRecording(callSid: string, source: "action" | "status", recording: Recording): Promise<void> {
    await this.set(callSid, { [`recording:${source}`]: JSON.stringify(recording) });
  }

  async setTranscription(callSid: string, transcription: Transcription): Promise<void> {
    await this.set(callSid, { transcription: JSON.stringify(transcription) });
  }

  async get(callSid: string): Promise<CallRecord | null> {
    let stored: Record<string, string> | null = null;
    try {
      stored = await this.redis.hgetall(this.keys.call(callSid));
    } catch (error) {
      // Redis is out of reach: go on with what this process knows, if it knows the call at all.
      const cached = this.metaCache.get(callSid);
      if (!cached && !this.journal.knows(callSid)) throw error;
      stored = cached ? { meta: JSON.stringify(cached) } : null;
    }
    const hash = this.journal.mergedHash(callSid, stored);
    if (!hash?.meta) return null;
    const record = parseRecord(hash);
    this.remember(record.meta);
    return record;
  }

  /** Newest first. */
  async recent(limit: number): Promise<string[]> {
    return this.redis.zrevrange(this.keys.calls(), 0, limit - 1);
  }

  private async set(callSid: string, fields: Record<string, string>): Promise<void> {
    await this.journal.write({ op: "hash", callSid, set: fields, setnx: {} });
  }

  private remember(meta: CallMeta): void {
    if (this.metaCache.size >= META_CACHE_SIZE) this.metaCache.delete(this.metaCache.keys().next().value!);
    this.metaCache.set(meta.callSid, meta);
  }
}

// Enough for every call in progress on one instance during a major outage, and then some.
const META_CACHE_SIZE = 10_000;

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
