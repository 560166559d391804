import { closeSync, existsSync, fsyncSync, ftruncateSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { z } from "zod";
import { RETENTION_SECONDS, type RedisKeys } from "../redis.ts";
import { outcomeOnHangup, stageSchema, type Outcome } from "../line/flow.ts";
import { incidentIdFor } from "./ids.ts";
import { timelineEventSchema, type TimelineEvent } from "./timeline.ts";

/**
 * Every write a call makes, as data. Each is idempotent (HSETNX for first-wins facts, append-once timeline
 * events, a raise-once script, job ids), so it can be applied late, or twice, without harm. When Redis does
 * not answer, the write goes to a local append-only spool file (fsync'd) and to an in-memory overlay that
 * this process reads through, so the call goes on; when Redis is back, the spool is replayed in order.
 */
export const writeOpSchema = z.discriminatedUnion("op", [
  z.object({
    op: z.literal("hash"),
    callSid: z.string(),
    set: z.record(z.string(), z.string()).default({}),
    setnx: z.record(z.string(), z.string()).default({}),
    /** Adds the call to the calls index with this score (ms), once. */
    indexAt: z.number().optional(),
  }),
  z.object({ op: z.literal("timeline"), callSid: z.string(), key: z.string(), event: timelineEventSchema }),
  z.object({
    op: z.literal("raise"),
    callSid: z.string(),
    incidentId: z.string(),
    outcome: z.string(),
    at: z.iso.datetime(),
    emailDelayMs: z.number().int().min(0),
    timelineText: z.string(),
  }),
  z.object({ op: z.literal("transcribed"), callSid: z.string() }),
  // The caller's call is over. Applying it reads the stage the call ended in, so when it is replayed after an
  // outage the outcome is decided from everything Redis then holds.
  z.object({ op: z.literal("ended"), callSid: z.string(), callStatus: z.string(), duration: z.number().nullable(), at: z.iso.datetime() }),
]);
export type WriteOp = z.infer<typeof writeOpSchema>;
type Op<K extends WriteOp["op"]> = Extract<WriteOp, { op: K }>;

// The raise-once guard: outcome and incident are written in one atomic step, by the first writer only.
const RAISE_ONCE = `
if redis.call('HSETNX', KEYS[1], 'outcome', ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'incidentId', ARGV[2])
redis.call('HSET', KEYS[2], 'id', ARGV[2], 'callSid', ARGV[3], 'raisedAt', ARGV[4], 'severity', 'SEV1', 'outcome', ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[6])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', ARGV[5] - ARGV[6] * 1000)
return 1`;

const APPEND_ONCE = `
if redis.call('HSETNX', KEYS[1], 'seen:' .. ARGV[1], 1) == 1 then
  redis.call('RPUSH', KEYS[2], ARGV[2])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
  return 1
end
return 0`;

/** The append-only spool file: one JSON op per line; emptied once everything in it reached Redis. */
export class Spool {
  private readonly fd: number;
  readonly pending: WriteOp[] = [];

  constructor(readonly path: string) {
    mkdirSync(dirname(path), { recursive: true });
    const existing = existsSync(path) ? readFileSync(path, "utf8") : "";
    for (const line of existing.split("\n").filter(Boolean)) {
      const parsed = writeOpSchema.safeParse(safeJson(line));
      // A torn last line (a crash mid-write) is the only way to get here; what it held was never acknowledged.
      if (parsed.success) this.pending.push(parsed.data);
    }
    this.fd = openSync(path, "a");
  }

  append(op: WriteOp): void {
    writeSync(this.fd, `${JSON.stringify(op)}\n`);
    fsyncSync(this.fd);
    this.pending.push(op);
  }

  /** Called when every pending op reached Redis. */
  clear(): void {
    this.pending.length = 0;
    ftruncateSync(this.fd, 0);
    fsyncSync(this.fd);
  }

  close(): void {
    closeSync(this.fd);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** A call's spooled writes: first-wins fields (HSETNX), last-wins fields (HSET), timeline events. */
interface OverlayCall {
  first: Record<string, string>;
  last: Record<string, string>;
  timeline: TimelineEvent[];
}

export type Enqueue = (incidentId: string, emailDelayMs: number) => Promise<void>;
export type OnTranscribed = (callSid: string) => Promise<void>;

export class Journal {
  private readonly overlay = new Map<string, OverlayCall>();
  private draining: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;
  /** Set by the follow-up side after construction (it needs the journal's reads first). */
  onTranscribed: OnTranscribed = async () => {};
  /** Told of each incident once Redis holds it (so an outage's incidents are told at replay, once). */
  onRaised: (outcome: string) => void = () => {};

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly spool: Spool,
    private readonly enqueue: Enqueue,
    private readonly log: Logger,
  ) {
    for (const op of spool.pending) this.applyToOverlay(op);
    this.redis.on("ready", () => void this.drain());
    this.timer = setInterval(() => void this.drain(), 1000);
    this.timer.unref();
  }

  /** Ops not yet in Redis: the backlog staff see, and a reason not to be ready. */
  get backlog(): number {
    return this.spool.pending.length;
  }

  /**
   * Applies a write to Redis, or spools it. While anything is spooled, new writes queue behind it, so Redis
   * receives every call's writes in the order they were made.
   */
  async write<K extends WriteOp["op"]>(op: Op<K>): Promise<WriteResult<K>> {
    if (this.spool.pending.length === 0) {
      try {
        return (await this.apply(op)) as WriteResult<K>;
      } catch (error) {
        this.log.warn({ err: error, op: op.op, callSid: op.callSid }, "redis write failed; spooling it locally");
      }
    }
    this.spool.append(op);
    return this.applyToOverlay(op) as WriteResult<K>;
  }

  /**
   * A call's hash as Redis would hold it once the spool is replayed: `stored` is what Redis answered (null
   * when it did not), with this process's spooled writes on top. Null when neither knows the call.
   */
  mergedHash(callSid: string, stored: Record<string, string> | null): Record<string, string> | null {
    const overlay = this.overlay.get(callSid);
    if (!overlay) return stored;
    const merged = { ...(stored ?? {}) };
    for (const [field, value] of Object.entries(overlay.first)) merged[field] ??= value;
    return Object.assign(merged, overlay.last);
  }

  spooledTimeline(callSid: string): TimelineEvent[] {
    return this.overlay.get(callSid)?.timeline ?? [];
  }

  knows(callSid: string): boolean {
    return this.overlay.has(callSid);
  }

  drain(): Promise<void> {
    if (this.spool.pending.length === 0 || this.redis.status !== "ready") return Promise.resolve();
    this.draining ??= (async () => {
      try {
        while (this.spool.pending.length > 0) {
          const op = this.spool.pending[0]!;
          try {
            await this.apply(op);
          } catch (error) {
            if (this.redis.status !== "ready") return; // down again: try later, from this op
            // Redis is up and refused the op itself: a bug, not an outage. Keep it in the log, move on.
            this.log.error({ err: error, op }, "spooled write refused by Redis; dropped after logging");
          }
          this.spool.pending.shift();
        }
        this.spool.clear();
        this.overlay.clear();
        this.log.info("spool replayed into Redis");
      } finally {
        this.draining = null;
      }
    })();
    return this.draining;
  }

  close(): void {
    clearInterval(this.timer);
    this.spool.close();
  }

  private async apply(op: WriteOp): Promise<unknown> {
    switch (op.op) {
      case "hash": {
        const key = this.keys.call(op.callSid);
        const multi = this.redis.multi();
        for (const [field, value] of Object.entries(op.setnx)) multi.hsetnx(key, field, value);
        if (Object.keys(op.set).length) multi.hset(key, op.set);
        multi.expire(key, RETENTION_SECONDS);
        if (op.indexAt !== undefined) {
          // The index forgets calls whose sessions have expired.
          multi.zadd(this.keys.calls(), "NX", op.indexAt, op.callSid).zremrangebyscore(this.keys.calls(), "-inf", op.indexAt - RETENTION_SECONDS * 1000);
        }
        const fields = Object.keys(op.setnx);
        if (fields.length) multi.hmget(key, ...fields);
        const results = (await multi.exec()) ?? [];
        const failed = results.find(([error]) => error);
        if (failed) throw failed[0];
        const stored = fields.length ? (results.at(-1)![1] as (string | null)[]) : [];
        return Object.fromEntries(fields.map((field, i) => [field, stored[i] ?? op.setnx[field]!]));
      }
      case "timeline":
        return (await this.redis.eval(APPEND_ONCE, 2, this.keys.call(op.callSid), this.keys.timeline(op.callSid), op.key, JSON.stringify(op.event), RETENTION_SECONDS)) === 1;
      case "raise": {
        const raised =
          (await this.redis.eval(RAISE_ONCE, 3, this.keys.call(op.callSid), this.keys.incident(op.incidentId), this.keys.incidents(), op.outcome, op.incidentId, op.callSid, op.at, Date.parse(op.at), RETENTION_SECONDS)) === 1;
        const incidentId = raised ? op.incidentId : await this.redis.hget(this.keys.call(op.callSid), "incidentId");
        // The jobs are ensured on every raise, replays included: a crash between raising and queueing heals here.
        await Promise.all([
          raised && this.apply({ op: "timeline", callSid: op.callSid, key: "incident", event: { at: op.at, event: "incident.raised", text: op.timelineText } }),
          incidentId && this.enqueue(incidentId, op.emailDelayMs),
        ]);
        if (raised) this.onRaised(op.outcome);
        return { raised, incidentId };
      }
      case "transcribed":
        await this.onTranscribed(op.callSid);
        return undefined;
      case "ended": {
        const [stage, outcome] = await this.redis.hmget(this.keys.call(op.callSid), "stage", "outcome");
        if (stage === null) return undefined; // a call this line never saw
        // Sent together, so Redis takes them in this order in one round trip.
        await Promise.all([this.apply(this.endedHash(op)), this.apply(this.endedTimeline(op))]);
        if (!outcome) await this.apply(raiseOp(op.callSid, outcomeOnHangup(stageSchema.catch("greeting").parse(stage)), new Date(op.at), 0));
        return undefined;
      }
    }
  }

  private endedHash(op: Op<"ended">): WriteOp {
    const set: Record<string, string> = { callStatus: op.callStatus, endedAt: op.at, stage: "ended" };
    if (op.duration !== null) set.duration = String(op.duration);
    return { op: "hash", callSid: op.callSid, set, setnx: {} };
  }

  private endedTimeline(op: Op<"ended">): WriteOp {
    const text = `Call ended (${op.callStatus}${op.duration !== null ? `, ${op.duration} s` : ""})`;
    return { op: "timeline", callSid: op.callSid, key: "ended", event: { at: op.at, event: "call.ended", text } };
  }

  private applyToOverlay(op: WriteOp): unknown {
    if (op.op === "transcribed") return undefined;
    if (op.op === "ended") {
      const known = this.overlay.get(op.callSid);
      const stage = known?.last.stage ?? known?.first.stage;
      this.applyToOverlay(this.endedHash(op));
      this.applyToOverlay(this.endedTimeline(op));
      if (stage) this.applyToOverlay(raiseOp(op.callSid, outcomeOnHangup(stageSchema.catch("greeting").parse(stage)), new Date(op.at), 0));
      return undefined;
    }
    let call = this.overlay.get(op.callSid);
    if (!call) {
      call = { first: {}, last: {}, timeline: [] };
      this.overlay.set(op.callSid, call);
    }
    const { first, last } = call;
    switch (op.op) {
      case "hash":
        for (const [field, value] of Object.entries(op.setnx)) first[field] ??= value;
        Object.assign(last, op.set);
        return Object.fromEntries(Object.keys(op.setnx).map((field) => [field, first[field]!]));
      case "timeline":
        if (first[`seen:${op.key}`]) return false;
        first[`seen:${op.key}`] = "1";
        call.timeline.push(op.event);
        return true;
      case "raise": {
        if (first.outcome) return { raised: false, incidentId: first.incidentId ?? null };
        first.outcome = op.outcome;
        first.incidentId = op.incidentId;
        this.applyToOverlay({ op: "timeline", callSid: op.callSid, key: "incident", event: { at: op.at, event: "incident.raised", text: op.timelineText } });
        return { raised: true, incidentId: op.incidentId };
      }
    }
  }
}

export function raiseOp(callSid: string, outcome: Outcome, at: Date, emailDelayMs: number): Op<"raise"> {
  const incidentId = incidentIdFor(callSid, at);
  return { op: "raise", callSid, incidentId, outcome, at: at.toISOString(), emailDelayMs, timelineText: `Incident ${incidentId} raised (SEV1, outcome ${outcome})` };
}

type WriteResult<K extends WriteOp["op"]> = K extends "hash"
  ? Record<string, string>
  : K extends "timeline"
    ? boolean
    : K extends "raise"
      ? { raised: boolean; incidentId: string | null }
      : undefined;
