import type { Stage } from "../call/records.ts";
import type { TimelineEvent } from "../call/timeline-events.ts";
import { endedWrites, raisedEvent, raiseOp, type WriteOp } from "./write-ops.ts";
import type { HangupDecision } from "./journal-effects.ts";

/** A call's spooled writes: first-wins fields (HSETNX), last-wins fields (HSET), timeline events. */
interface OverlayCall {
  first: Record<string, string>;
  last: Record<string, string>;
  timeline: TimelineEvent[];
}

/**
 * What this process wrote while Redis was away, applied in memory with the same rules Redis applies, so the
 * call goes on reading its own writes until the spool is replayed.
 */
export class Overlay {
  private readonly calls = new Map<string, OverlayCall>();

  constructor(private readonly onHangup: (stage: Stage) => HangupDecision) {}

  knows(callSid: string): boolean {
    return this.calls.has(callSid);
  }

  clear(): void {
    this.calls.clear();
  }

  /** `stored` (what Redis answered, null when it did not) with this process's spooled writes on top. */
  merged(callSid: string, stored: Record<string, string> | null): Record<string, string> | null {
    const call = this.calls.get(callSid);
    if (!call) return stored;
    const merged = { ...(stored ?? {}) };
    for (const [field, value] of Object.entries(call.first)) merged[field] ??= value;
    return Object.assign(merged, call.last);
  }

  timeline(callSid: string): TimelineEvent[] {
    return this.calls.get(callSid)?.timeline ?? [];
  }

  /** Applies an op and answers what Redis would have answered. */
  apply(op: WriteOp): unknown {
    const call = this.call(op.callSid);
    const { first, last } = call;
    // A guarded write (see write-ops.ts) is skipped unless the session holds the guard's value.
    const skipped = (op.op === "hash" || op.op === "timeline") && op.guard !== undefined && first[op.guard.field] !== op.guard.value;
    switch (op.op) {
      case "hash":
        if (skipped) return Object.fromEntries(Object.keys(op.setnx).map((field) => [field, first[field] ?? op.setnx[field]!]));
        for (const [field, value] of Object.entries(op.setnx)) first[field] ??= value;
        Object.assign(last, op.set);
        return Object.fromEntries(Object.keys(op.setnx).map((field) => [field, first[field]!]));
      case "timeline":
        if (skipped || first[`seen:${op.key}`]) return false;
        first[`seen:${op.key}`] = "1";
        call.timeline.push(op.event);
        return true;
      case "raise":
        if (first.outcome) return { raised: false, incidentId: first.incidentId ?? null };
        first.outcome = op.outcome;
        first.incidentId = op.incidentId;
        this.apply(raisedEvent(op));
        return { raised: true, incidentId: op.incidentId };
      case "ended": {
        const stage = (last.stage ?? first.stage) as Stage | undefined;
        for (const write of endedWrites(op)) this.apply(write);
        if (stage) {
          const decision = this.onHangup(stage);
          this.apply(raiseOp(op.callSid, decision.outcome, new Date(op.at), decision.emailDelayMs));
        }
        return undefined;
      }
    }
  }

  private call(callSid: string): OverlayCall {
    let call = this.calls.get(callSid);
    if (!call) {
      call = { first: {}, last: {}, timeline: [] };
      this.calls.set(callSid, call);
    }
    return call;
  }
}
