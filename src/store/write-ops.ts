import { z } from "zod";
import { incidentIdFor } from "./incident-ids.ts";
import { outcomeSchema, type Outcome } from "../call/records.ts";
import { timeline, timelineEventSchema } from "../call/timeline-events.ts";

/**
 * A write that only makes sense if the call's hash holds `value` in `field`, skipped otherwise, so it can be
 * sent in one round trip with the write that puts it there: a session's start (`CallSessions.startedBy`: the
 * meta as that webhook wrote it), an engineer's decision (`CallSessions.decidedAs`).
 */
const guardSchema = z.object({ field: z.string().min(1), value: z.string() });
export type WriteGuard = z.infer<typeof guardSchema>;

/**
 * Every write a call makes, as data. Each is idempotent (HSETNX for first-wins facts, append-once timeline
 * events, the raise-once script, job ids), so it can be applied late, or twice, without harm: that is what
 * lets the journal spool it while Redis is away and replay it later (docs/architecture.md, "Nothing lost").
 */
export const writeOpSchema = z.discriminatedUnion("op", [
  z.object({
    op: z.literal("hash"),
    callSid: z.string(),
    set: z.record(z.string(), z.string()).default({}),
    setnx: z.record(z.string(), z.string()).default({}),
    /** Adds the call to the calls index with this score (ms), once. */
    indexAt: z.number().optional(),
    /** Once stored, the follow-up is told a transcription arrived (it may release or redirect the email). */
    transcription: z.boolean().optional(),
    guard: guardSchema.optional(),
  }),
  z.object({ op: z.literal("timeline"), callSid: z.string(), key: z.string(), event: timelineEventSchema, guard: guardSchema.optional() }),
  z.object({
    op: z.literal("raise"),
    callSid: z.string(),
    incidentId: z.string(),
    outcome: outcomeSchema,
    at: z.iso.datetime(),
    emailDelayMs: z.number().int().min(0),
  }),
  // The caller's call is over. Applying it reads the stage the call ended in, so when it is replayed after an
  // outage the outcome comes from everything Redis then holds.
  z.object({ op: z.literal("ended"), callSid: z.string(), callStatus: z.string(), duration: z.number().nullable(), at: z.iso.datetime() }),
]);
export type WriteOp = z.infer<typeof writeOpSchema>;
export type Op<K extends WriteOp["op"]> = Extract<WriteOp, { op: K }>;

export type WriteResult<K extends WriteOp["op"]> = K extends "hash"
  ? Record<string, string>
  : K extends "timeline"
    ? boolean
    : K extends "raise"
      ? { raised: boolean; incidentId: string | null }
      : undefined;

export function raiseOp(callSid: string, outcome: Outcome, at: Date, emailDelayMs: number): Op<"raise"> {
  return { op: "raise", callSid, incidentId: incidentIdFor(callSid, at), outcome, at: at.toISOString(), emailDelayMs };
}

export function raisedEvent(op: Op<"raise">): Op<"timeline"> {
  return { op: "timeline", callSid: op.callSid, key: "incident", event: timeline.raised(op.at, op.incidentId, op.outcome) };
}

/** The writes an `ended` op stands for, besides the outcome: the session's end and its timeline step. */
export function endedWrites(op: Op<"ended">): [Op<"hash">, Op<"timeline">] {
  const set: Record<string, string> = { callStatus: op.callStatus, endedAt: op.at, stage: "ended" };
  if (op.duration !== null) set.duration = String(op.duration);
  return [
    { op: "hash", callSid: op.callSid, set, setnx: {} },
    { op: "timeline", callSid: op.callSid, key: "ended", event: timeline.ended(op.at, op.callStatus, op.duration) },
  ];
}
