import { z } from "zod";
import { dialCallStatusSchema } from "../call/records.ts";

/**
 * Twilio's webhook fields. Objects are loose: Twilio adds fields over time (Caller, FromCountry, ...), and an
 * unknown field must never turn a caller away.
 */
// Twilio's recording URLs are https; anything else (javascript:, data:) must not reach the console's links.
const httpsUrl = z.url({ protocol: /^https$/, error: "expected an https URL" });
const sidPattern = (prefix: string) => new RegExp(`^${prefix}[0-9a-zA-Z]{32}$`);
const sid = (prefix: string) => z.string().regex(sidPattern(prefix), `a ${prefix} SID`);
/** What a CallSid looks like (CA and 32 letters or digits), for code that meets one outside a schema. */
export const CALL_SID = sidPattern("CA");

export const callParams = z.looseObject({
  AccountSid: sid("AC"),
  CallSid: sid("CA"),
  // A number, "anonymous", or a SIP address: bounded, since the whisper reads it out and logs carry it.
  From: z.string().min(1).max(256),
  To: z.string().min(1).max(256),
  CallStatus: z.string().min(1),
  Direction: z.string().optional(),
});

// Keys pressed: a Gather of ours takes one; a few more is a slip, thousands an attack.
const digits = z.string().max(32).optional();
export const gatherParams = callParams.extend({ Digits: digits });

export const dialActionParams = callParams.extend({
  DialCallStatus: dialCallStatusSchema,
  DialCallSid: sid("CA").optional(),
  DialCallDuration: z.coerce.number().int().min(0).optional(),
  /** Whether the legs were connected: a free cross-check of the whisper's acceptance. */
  DialBridged: z.enum(["true", "false"]).optional(),
});
export type DialActionParams = z.infer<typeof dialActionParams>;

// Twilio documents RecordingUrl, RecordingDuration and Digits for the Record action; RecordingSid is usually
// sent too, but nothing may depend on it.
export const recordingParams = callParams.extend({
  RecordingUrl: httpsUrl,
  RecordingSid: sid("RE").optional(),
  RecordingDuration: z.coerce.number().int().min(0),
  Digits: digits,
});

export const recordingStatusParams = z.looseObject({
  AccountSid: sid("AC"),
  CallSid: sid("CA"),
  RecordingSid: sid("RE"),
  RecordingUrl: httpsUrl,
  RecordingStatus: z.string().min(1),
  RecordingDuration: z.coerce.number().int().min(0).optional(),
});

export const transcriptionParams = z.looseObject({
  AccountSid: sid("AC"),
  CallSid: sid("CA"),
  RecordingSid: sid("RE"),
  RecordingUrl: httpsUrl.optional(),
  TranscriptionSid: sid("TR").optional(),
  TranscriptionStatus: z.enum(["completed", "failed"]),
  TranscriptionText: z.string().optional(),
});

export const statusCallbackParams = callParams.extend({
  CallStatus: z.enum(["queued", "initiated", "ringing", "in-progress", "completed", "busy", "no-answer", "failed", "canceled"]),
  CallDuration: z.coerce.number().int().min(0).optional(),
});

/** Query parameters our own TwiML puts in URLs; they are covered by the signature, so they can be trusted. */
export const levelQuery = z.object({ level: z.coerce.number().int().min(1).max(3) });
export const whisperQuery = levelQuery.extend({ parent: sid("CA"), play: z.coerce.number().int().min(1).max(9).default(1) });
