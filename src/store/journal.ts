import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { stageSchema } from "../call/records.ts";
import type { TimelineEvent } from "../call/timeline-events.ts";
import type { JournalEffects } from "./journal-effects.ts";
import { isUnavailable } from "./connect.ts";
import { Overlay } from "./overlay.ts";
import { RETENTION_SECONDS, type RedisKeys } from "./redis.ts";
import { withScripts } from "./scripts.ts";
import type { Spool, SpoolFileState } from "./spool.ts";
import { endedWrites, raisedEvent, raiseOp, type Op, type WriteOp, type WriteResult } from "./write-ops.ts";

/** What /readyz, the metrics and the console say about writes not yet in Redis. */
export interface SpoolStatus {
  /** Writes waiting for Redis. */
  spooled: number;
  /** Of these, the ones held only in memory (the spool file could not take them): lost if the process dies. */
  unspooled: number;
  spoolFile: SpoolFileState;
}

/**
 * Applies a call's writes to Redis or, when Redis does not answer, to the local spool (fsync'd) and to an
 * in-memory overlay this process reads through, so the call goes on; when Redis is back, the spool is
 * replayed in order. See docs/architecture.md, "Nothing lost".
 */
export class Journal {
  private readonly overlay: Overlay;
  private draining: Promise<void> | null = null;
  private readonly timer: NodeJS.Timeout;
  private readonly redis: Redis;
  private spoolFileOk = true;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    private readonly spool: Spool,
    private readonly effects: JournalEffects,
    private readonly log: Logger,
  ) {
    this.redis = withScripts(redis);
    this.overlay = new Overlay((stage) => effects.onHangup(stage));
    for (const op of spool.pending) this.overlay.apply(op);
    this.redis.on("ready", this.onReady);
    this.timer = setInterval(() => void this.drain(), 1000);
    this.timer.unref();
    this.reportSpoolFile();
  }

  /** Ops not yet in Redis: the backlog staff see, and a reason not to be ready. */
  get backlog(): number {
    return this.spool.pending.length;
  }

  get status(): SpoolStatus {
    return { spooled: this.spool.pending.length, unspooled: this.spool.unspooled, spoolFile: this.spool.fileState };
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
    this.reportSpoolFile();
    return this.overlay.apply(op) as WriteResult<K>;
  }

  /** A call's hash as Redis will hold it once the spool is replayed; null when neither knows the call. */
  mergedHash(callSid: string, stored: Record<string, string> | null): Record<string, string> | null {
    return this.overlay.merged(callSid, stored);
  }

  spooledTimeline(callSid: string): TimelineEvent[] {
    return this.overlay.timeline(callSid);
  }

  knows(callSid: string): boolean {
    return this.overlay.knows(callSid);
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
            // Down again, or not answering: a timeout on a silent link reports "ready" until the watchdog drops
            // it, and a Cluster stays "ready" while a master fails over: the error says so. Try later, from this op.
            if (this.redis.status !== "ready" || isUnavailable(error)) return;
            // Redis is up and refused the op itself: a bug, not an outage. Keep it in the log, move on.
            this.log.error({ err: error, op }, "spooled write refused by Redis; dropped after logging");
          }
          this.spool.pending.shift();
        }
        this.spool.clear();
        this.reportSpoolFile();
        this.overlay.clear();
        this.log.info("spool replayed into Redis");
      } finally {
        this.draining = null;
      }
    })();
    return this.draining;
  }

  // Removed on close: drills start a line per scenario over one connection, and each left a listener on it.
  private readonly onReady = () => void this.drain();

  close(): void {
    clearInterval(this.timer);
    this.redis.off("ready", this.onReady);
    this.spool.close();
  }

  /** An error line when the spool file stops taking writes, an info line when it takes them again: never one per write. */
  private reportSpoolFile(): void {
    const state = this.spool.fileState;
    if ((state === "ok") === this.spoolFileOk) return;
    this.spoolFileOk = state === "ok";
    if (this.spoolFileOk) this.log.info({ spoolFile: this.spool.path }, "spool file writable again: every write waiting for Redis is on disk");
    else this.log.error({ spoolFile: this.spool.path, problem: state }, "spool file unwritable: writes waiting for Redis are held in memory only, lost if this process stops");
  }

  private async apply(op: WriteOp): Promise<unknown> {
    switch (op.op) {
      case "hash":
        return this.applyHash(op);
      case "timeline":
        return (await this.redis.appendOnce(this.keys.call(op.callSid), this.keys.timeline(op.callSid), op.key, JSON.stringify(op.event), RETENTION_SECONDS)) === 1;
      case "raise": {
        const raised =
          (await this.redis.raiseOnce(this.keys.call(op.callSid), this.keys.incident(op.incidentId), this.keys.incidents(), op.outcome, op.incidentId, op.callSid, op.at, Date.parse(op.at), RETENTION_SECONDS)) === 1;
        const incidentId = raised ? op.incidentId : await this.redis.hget(this.keys.call(op.callSid), "incidentId");
        // The follow-up is ensured on every raise, replays included: a crash between raising and queueing heals here.
        await Promise.all([
          raised && this.apply(raisedEvent(op)),
          incidentId && this.effects.incidentRaised({ incidentId, callSid: op.callSid, outcome: op.outcome, emailDelayMs: op.emailDelayMs, first: raised }),
        ]);
        return { raised, incidentId };
      }
      case "ended": {
        const [stage, outcome] = await this.redis.hmget(this.keys.call(op.callSid), "stage", "outcome");
        if (stage === null) return undefined; // a call this line never saw
        // Sent together, so Redis takes them in this order in one round trip.
        await Promise.all(endedWrites(op).map((write) => this.apply(write)));
        if (!outcome) {
          const decision = this.effects.onHangup(stageSchema.catch("greeting").parse(stage));
          await this.apply(raiseOp(op.callSid, decision.outcome, new Date(op.at), decision.emailDelayMs));
        }
        return undefined;
      }
    }
  }

  private async applyHash(op: Op<"hash">): Promise<Record<string, string>> {
    const firstWins = Object.entries(op.setnx);
    const args = [RETENTION_SECONDS, op.indexAt ?? "", op.callSid, firstWins.length, ...firstWins.flat(), ...Object.entries(op.set).flat()];
    const stored = await this.redis.applyHash(this.keys.call(op.callSid), this.keys.calls(), this.keys.liveCalls(), ...args);
    if (op.transcription) await this.effects.transcriptionStored(op.callSid);
    return Object.fromEntries(firstWins.map(([field, value], i) => [field, stored[i] ?? value]));
  }
}
