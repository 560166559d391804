import type { Redis } from "ioredis";
import { attemptSchema, callMetaSchema, callRecordSchema, type Attempt, type CallMeta, type CallRecord, type Recording, type Stage, type Transcription } from "../call/records.ts";
import type { Journal } from "./journal.ts";
import type { WriteGuard } from "./write-ops.ts";
import type { RedisKeys } from "./redis.ts";

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

  /**
   * The guard for writes that only make sense for the session `start(meta)` creates: sent with the start, in
   * the same round trip, they are skipped if a session was already there (a replayed first webhook).
   */
  startedBy(meta: CallMeta): WriteGuard {
    return { field: "meta", value: JSON.stringify(meta) };
  }

  /** Creates the session once; a replayed first webhook gets the stored one back. */
  async start(meta: CallMeta): Promise<{ meta: CallMeta; created: boolean }> {
    const json = JSON.stringify(meta);
    const stored = await this.journal.write({
      op: "hash",
      callSid: meta.callSid,
      setnx: { meta: json, stage: "greeting" },
      set: {},
      indexAt: Date.parse(meta.startedAt),
    });
    // Ours when we created it (built from validated parts); a stored one is read back through its schema.
    const created = stored.meta === json;
    const kept = created ? meta : callMetaSchema.parse(JSON.parse(stored.meta!));
    this.remember(kept);
    return { meta: kept, created };
  }

  /**
   * A session rebuilt from a later webhook's own fields (the call's first webhook left none), so the incident
   * the call raises can be read and followed up. It has a field of its own, written first-wins: a real
   * session, stored before or replayed from a spool after, is the one read, and a replay changes nothing.
   */
  async reconstruct(meta: CallMeta, stage: Stage): Promise<CallMeta> {
    const stored = await this.journal.write({
      op: "hash",
      callSid: meta.callSid,
      setnx: { [RECONSTRUCTED_META]: JSON.stringify({ ...meta, reconstructed: true }), stage },
      set: {},
      indexAt: Date.parse(meta.startedAt),
    });
    const kept = callMetaSchema.parse(JSON.parse(stored[RECONSTRUCTED_META]!));
    this.remember(kept);
    return kept;
  }

  /**
   * A session's meta never changes once stored (HSETNX), so one this process has stored or read is answered
   * from memory: the caller-leg webhooks that need only the meta make no round trip for it. A reconstructed
   * meta can still give way to the real one, so it is always read again.
   */
  async meta(callSid: string): Promise<CallMeta | null> {
    const known = this.metaCache.get(callSid);
    if (known && !known.reconstructed) return known;
    return (await this.get(callSid))?.meta ?? null;
  }

  /** `guard`: only if the session holds it (see `startedBy`, `decidedAs`). */
  async setStage(callSid: string, stage: Stage, level?: number, guard?: WriteGuard): Promise<void> {
    await this.journal.write({ op: "hash", callSid, set: { stage, ...(level !== undefined && { level: String(level) }) }, setnx: {}, ...(guard && { guard }) });
  }

  async markAnswered(callSid: string, level: number): Promise<void> {
    await this.set(callSid, { [`answered:${level}`]: "1" });
  }

  /** The first key an engineer pressed at a level is the one that counts. Returns the decision that stands. */
  async decide(callSid: string, level: number, decision: "accepted" | "declined"): Promise<"accepted" | "declined"> {
    const stored = await this.journal.write({ op: "hash", callSid, setnx: { [decisionField(level)]: decision }, set: {} });
    return stored[decisionField(level)] === "accepted" ? "accepted" : "declined";
  }

  /**
   * A guard for the writes that follow from a decision at a level, so they can go with `decide`, in its
   * round trip: skipped when an earlier key at that level decided otherwise. Spooled, it is checked twice:
   * by the overlay when answered, and by Redis when replayed.
   */
  decidedAs(level: number, decision: "accepted" | "declined"): WriteGuard {
    return { field: decisionField(level), value: decision };
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

  /** Stored, then the follow-up is told (by the journal, so a spooled transcription tells it at replay). */
  async setTranscription(callSid: string, transcription: Transcription): Promise<void> {
    await this.journal.write({ op: "hash", callSid, set: { transcription: JSON.stringify(transcription) }, setnx: {}, transcription: true });
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
    if (!hash?.meta && !hash?.[RECONSTRUCTED_META]) return null;
    // A stored meta never changes, so one this process already read or wrote is not parsed again (as `meta`
    // answers from it); a reconstructed one may still give way to the real one.
    const known = this.metaCache.get(callSid);
    const record = parseRecord(hash, known && !known.reconstructed && hash.meta !== undefined ? known : null);
    this.remember(record.meta);
    return record;
  }

  /** Calls not yet ended that started within `withinMs`, newest first, at most `limit`. */
  async live(withinMs: number, limit: number, now: Date): Promise<string[]> {
    return this.redis.zrevrangebyscore(this.keys.liveCalls(), "+inf", now.getTime() - withinMs, "LIMIT", 0, limit);
  }


  private async set(callSid: string, fields: Record<string, string>): Promise<void> {
    await this.journal.write({ op: "hash", callSid, set: fields, setnx: {} });
  }

  private remember(meta: CallMeta): void {
    if (this.metaCache.size >= META_CACHE_SIZE) this.metaCache.delete(this.metaCache.keys().next().value!);
    this.metaCache.set(meta.callSid, meta);
  }
}

const RECONSTRUCTED_META = "meta:reconstructed";

// Enough for every call in progress on one instance during a major outage, and then some.
const META_CACHE_SIZE = 10_000;

// The record without its meta, for a meta already known; the meta's schema is the larger part of the work.
const recordWithoutMeta = callRecordSchema.omit({ meta: true });

function parseRecord(hash: Record<string, string>, knownMeta: CallMeta | null): CallRecord {
  const json = (field: string) => (hash[field] ? JSON.parse(hash[field]) : null);
  const levels = (prefix: string) =>
    Object.keys(hash)
      .filter((field) => field.startsWith(prefix))
      .map((field) => Number(field.slice(prefix.length)))
      .sort((a, b) => a - b);
  const decided = levels("decision:");
  const accepted = decided.find((level) => hash[decisionField(level)] === "accepted");
  const fields = {
    stage: hash.stage ?? "greeting",
    level: Number(hash.level ?? 0),
    // One unreadable attempt must not hide the whole call (and its incident) from staff.
    attempts: levels("attempt:")
      .map((level) => attemptSchema.safeParse(json(`attempt:${level}`)))
      .flatMap((parsed) => (parsed.success ? [parsed.data] : [])),
    answeredLevels: levels("answered:"),
    acceptedLevel: accepted ?? null,
    declinedLevels: decided.filter((level) => hash[decisionField(level)] === "declined"),
    outcome: hash.outcome ?? null,
    incidentId: hash.incidentId ?? null,
    recording: mergeRecording(json("recording:action"), json("recording:status")),
    transcription: json("transcription"),
    callStatus: hash.callStatus ?? null,
    duration: hash.duration ? Number(hash.duration) : null,
    endedAt: hash.endedAt ?? null,
  };
  if (knownMeta) return { meta: knownMeta, ...recordWithoutMeta.parse(fields) };
  return callRecordSchema.parse({ meta: json("meta") ?? json(RECONSTRUCTED_META), ...fields });
}

function mergeRecording(action: Recording | null, status: Recording | null): Recording | null {
  if (!action && !status) return null;
  return { ...status, ...action, sid: action?.sid ?? status?.sid ?? null, status: status?.status ?? action?.status } as Recording;
}

const decisionField = (level: number) => `decision:${level}`;
