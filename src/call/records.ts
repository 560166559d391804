import { z } from "zod";
import { engineerSchema } from "./engineers.ts";
import { partnerSchema } from "./partners.ts";

/**
 * The shapes of what a call leaves behind, as zod schemas (the types come from them). The store reads and
 * writes these; the flow decides with them; the staff API shows them. See docs/architecture.md, "Records".
 */

export const outcomeSchema = z.enum(["connected", "voicemail", "status-page", "abandoned"]);
export type Outcome = z.infer<typeof outcomeSchema>;

/** Where the caller is: the stage decides the outcome should they hang up now. */
export const stageSchema = z.enum(["greeting", "notice", "hunting", "voicemail", "connected", "ended"]);
export type Stage = z.infer<typeof stageSchema>;

/** How an engineer's leg ended, as the line understood it (acceptance only from the whisper's key 1). */
export const legResultSchema = z.enum(["accepted", "declined", "not-accepted", "no-answer", "busy", "failed", "canceled"]);
export type LegResult = z.infer<typeof legResultSchema>;

/** Twilio's DialCallStatus on a Dial action. */
export const dialCallStatusSchema = z.enum(["completed", "answered", "busy", "no-answer", "failed", "canceled"]);
export type DialCallStatus = z.infer<typeof dialCallStatusSchema>;

export const statusNoticeSchema = z.object({ name: z.string(), link: z.string().nullable() });
export type StatusNotice = z.infer<typeof statusNoticeSchema>;

export const callMetaSchema = z.object({
  callSid: z.string(),
  from: z.string(),
  to: z.string(),
  drill: z.boolean(),
  partner: partnerSchema.nullable(),
  startedAt: z.iso.datetime(),
  // The roster as it was when the call came in: a roster change mid-call must not shift the levels.
  engineers: z.array(engineerSchema),
  statusNotice: statusNoticeSchema.nullable(),
  /** Calls from this number in the 24 hours up to this one, this one included; null when it could not be counted. */
  callsInLastDay: z.number().int().nullable().default(null),
  /**
   * The CallSid of the first call of this number's group (calls within MISUSE_GROUP_MINUTES of it): this call
   * pages and is followed up under that call's incident. Null for the group's first call and withheld numbers.
   */
  groupedWithCall: z.string().nullable().default(null),
  /** Stored from a later webhook's own fields, because the call's first webhook never left a session. */
  reconstructed: z.boolean().default(false),
});
export type CallMeta = z.infer<typeof callMetaSchema>;

export const attemptSchema = z.object({
  level: z.number().int(),
  /** Null for a level the call's own engineers do not have (dialled from another process's roster). */
  engineer: engineerSchema.nullable(),
  result: legResultSchema,
  dialStatus: z.string(),
  seconds: z.number().int().min(0),
  endedAt: z.iso.datetime(),
});
export type Attempt = z.infer<typeof attemptSchema>;

export const recordingSchema = z.object({
  url: z.string(),
  /** Null when the Record action came without one (Twilio does not document it there) and no status yet. */
  sid: z.string().nullable(),
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
