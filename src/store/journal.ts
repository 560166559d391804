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
   * receives every call's writes in the order they were made. Session and timeline writes made in one turn
   * of the event loop (a webhook's writes, and other webhooks' of the same turn) go to Redis as one script
   * call, in the order they were made (`apply-writes.lua`; docs/architecture.md, "One round trip").
   */
  async write<K extends WriteOp["op"]>(op: Op<K>): Promise<WriteResult<K>> {
    if (this.spool.pending.length === 0) {
      if (op.op === "hash" || op.op === "timeline") return this.batched(op as Op<"hash" | "timeline">) as Promise<WriteResult<K>>;
      // A raise or an end reads what the writes before it wrote: those leave first, on the same connection.
      this.flush();
      try {
        return (await this.apply(op)) as WriteResult<K>;
      } catch (error) {
        this.log.warn({ err: error, op: op.op, callSid: op.callSid }, "redis write failed; spooling it locally");
      }
    }
    return this.spooled(op) as WriteResult<K>;
  }

  private spooled(op: WriteOp): unknown {
    this.spool.append(op);
    this.reportSpoolFile();
    return this.overlay.apply(op);
  }

  private batch: { op: Op<"hash" | "timeline">; resolve: (result: unknown) => void }[] = [];

  private batched(op: Op<"hash" | "timeline">): Promise<unknown> {
    return new Promise((resolve) => {
      if (this.batch.push({ op, resolve }) === 1) queueMicrotask(() => this.flush());
    });
  }

  /** Sends the writes batched so far; if Redis does not take them, each is spooled, in order. */
  private flush(): void {
    const batch = this.batch;
    if (batch.length === 0) return;
    this.batch = [];
    const spoolAll = () => {
      for (const { op, resolve } of batch) resolve(this.spooled(op));
    };
    if (this.spool.pending.length > 0) return spoolAll();
    this.applyWrites(batch.map((entry) => entry.op)).then(
      (results) => batch.forEach(({ resolve }, i) => resolve(results[i])),
      (error: unknown) => {
        this.log.warn({ err: error, writes: batch.length, callSid: batch[0]!.op.callSid }, "redis write failed; spooling it locally");
        spoolAll();
      },
    );
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
      case "timeline":
        return (await this.applyWrites([op]))[0];
      case "raise": {
        const { keys } = this;
        const raised = (await this.redis.raiseOnce(keys.call(op.callSid), keys.timeline(op.callSid), keys.incident(op.incidentId), keys.incidents(), op.outcome, op.incidentId, op.callSid, op.at, Date.parse(op.at), RETENTION_SECONDS, JSON.stringify(raisedEvent(op).event))) === 1;
        const incidentId = raised ? op.incidentId : await this.redis.hget(keys.call(op.callSid), "incidentId");
        // The follow-up is ensured on every raise, replays included: a crash between raising and queueing heals here.
        if (incidentId) await this.effects.incidentRaised({ incidentId, callSid: op.callSid, outcome: op.outcome, emailDelayMs: op.emailDelayMs, first: raised });
        return { raised, incidentId };
      }
      case "ended": {
        // One script: the stage read, the end written, and the incident raised with the outcome the call's flow
        // gives that stage, if none was recorded (HANGUP_OUTCOMES, as data).
        const { keys } = this;
        const [hash, ended] = endedWrites(op);
        const raise = raiseOp(op.callSid, "abandoned", new Date(op.at), 0);
        const byStage = stageSchema.options.flatMap((stage) => {
          const outcome = this.effects.onHangup(stage).outcome;
          return [stage, outcome, JSON.stringify(raisedEvent({ ...raise, outcome }).event)];
        });
        const reply = await this.redis.endCall(keys.call(op.callSid), keys.timeline(op.callSid), keys.incident(raise.incidentId), keys.incidents(), keys.calls(), keys.liveCalls(), RETENTION_SECONDS, op.callSid, Object.keys(hash.set).length, ...Object.entries(hash.set).flat(), JSON.stringify(ended.event), raise.incidentId, raise.at, Date.parse(raise.at), ...byStage);
        if (reply.length === 0 || reply[1] !== 1) return undefined; // a call this line never saw, or one with an outcome
        const decision = this.effects.onHangup(stageSchema.catch("greeting").parse(reply[0]));
        await this.effects.incidentRaised({ incidentId: raise.incidentId, callSid: op.callSid, outcome: decision.outcome, emailDelayMs: decision.emailDelayMs, first: true });
        return undefined;
      }
    }
  }

  /** Session and timeline writes in one script call (`apply-writes.lua`): each one's answer, in order. */
  private async applyWrites(ops: Op<"hash" | "timeline">[]): Promise<unknown[]> {
    const { keys } = this;
    const scriptKeys: string[] = [keys.calls(), keys.liveCalls()];
    const positions = new Map<string, number>();
    const keyAt = (key: string) => {
      let at = positions.get(key);
      if (at === undefined) {
        at = scriptKeys.push(key);
        positions.set(key, at);
      }
      return at;
    };
    const args: (string | number)[] = [RETENTION_SECONDS, ops.length];
    for (const op of ops) {
      const guard = op.guard ?? { field: "", value: "" };
      if (op.op === "hash") {
        const first = Object.entries(op.setnx);
        const rest = Object.entries(op.set);
        args.push("h", keyAt(keys.call(op.callSid)), op.callSid, op.indexAt ?? "", guard.field, guard.value, first.length, rest.length, ...first.flat(), ...rest.flat());
      } else {
        args.push("t", keyAt(keys.call(op.callSid)), keyAt(keys.timeline(op.callSid)), guard.field, guard.value, op.key, JSON.stringify(op.event));
      }
    }
    const replies = (await this.redis.applyWrites(scriptKeys.length, ...scriptKeys, ...args)) as unknown as ((string | null)[] | number)[];
    const results = ops.map((op, i) => {
      const reply = replies[i]!;
      if (op.op === "timeline") return reply === 1;
      const firstWins = Object.entries(op.setnx);
      return Object.fromEntries(firstWins.map(([field, value], k) => [field, (reply as (string | null)[])[k] ?? value]));
    });
    // Told after the batch is in Redis, so the follow-up reads the transcription it was told about.
    await Promise.all(ops.map((op) => op.op === "hash" && op.transcription && this.effects.transcriptionStored(op.callSid)));
    return results;
  }
}
