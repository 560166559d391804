import { z } from "zod";
import { mailEventKey, mailEventSchemas } from "./mail-events.ts";
import { legResultSchema, outcomeSchema, type LegResult } from "./records.ts";

/**
 * A call's timeline as one typed union. Every event carries its own facts (level, result, seconds...) and the
 * sentence staff read, written once when the event is made: the API, the console and the drill report show
 * `text`; code that reasons about a call reads the typed fields. `timelineKey` names the step, so a replayed
 * webhook appends it once (see docs/architecture.md, "Timeline").
 */
const at = z.iso.datetime();
const text = z.string();
const level = z.number().int().min(1);
const event = <const E extends string, S extends z.ZodRawShape>(name: E, shape: S) => z.object({ event: z.literal(name), at, text, ...shape });

export const timelineEventSchema = z.discriminatedUnion("event", [
  event("call.received", { from: z.string(), partner: z.string().nullable(), drill: z.boolean() }),
  event("statuspage.notice", { name: z.string() }),
  event("statuspage.choice", { digits: z.string().nullable(), hunt: z.boolean() }),
  event("engineer.dialled", { level, engineer: z.string() }),
  event("engineer.answered", { level, engineer: z.string() }),
  event("engineer.declined", { level, engineer: z.string(), digits: z.string().nullable() }),
  event("engineer.accepted", { level, engineer: z.string() }),
  event("engineer.missed", { level, engineer: z.string(), result: legResultSchema, seconds: z.number().int().min(0) }),
  event("conversation.ended", { level, engineer: z.string(), seconds: z.number().int().min(0) }),
  event("voicemail.prompt", {}),
  event("voicemail.recorded", { seconds: z.number().int().min(0), hungUp: z.boolean() }),
  event("recording.status", { recordingSid: z.string(), status: z.string() }),
  event("voicemail.transcribed", { status: z.enum(["completed", "failed"]), transcript: z.string() }),
  event("call.ended", { callStatus: z.string(), seconds: z.number().int().nullable() }),
  event("webhook.fallback", { errorCode: z.string(), path: z.string() }),
  event("incident.raised", { incidentId: z.string(), outcome: outcomeSchema }),
  event("followup.email-sent", { to: z.string(), source: z.string() }),
  event("followup.mobilise-sent", { target: z.string(), httpStatus: z.number().int() }),
  event("followup.email-failed", { attempts: z.number().int(), error: z.string() }),
  event("followup.mobilise-failed", { attempts: z.number().int(), error: z.string() }),
  event("followup.late-contact", { spoken: z.string(), sentTo: z.string() }),
  event("case.hold", { generation: z.number().int(), closesAt: z.string() }),
  event("case.replied", { generation: z.number().int() }),
  event("case.reopened", { generation: z.number().int(), closesAt: z.string() }),
  event("case.closed", { generation: z.number().int() }),
  ...mailEventSchemas,
]);
export type TimelineEvent = z.infer<typeof timelineEventSchema>;
export type TimelineEventName = TimelineEvent["event"];
type Of<N extends TimelineEventName> = Extract<TimelineEvent, { event: N }>;

/** The step an event records: the timeline holds each step once, however often Twilio replays a webhook. */
export function timelineKey(e: TimelineEvent): string {
  switch (e.event) {
    case "call.received":
      return "received";
    case "statuspage.notice":
      return "notice";
    case "statuspage.choice":
      return "notice-choice";
    case "engineer.dialled":
      return `dial:${e.level}`;
    case "engineer.answered":
      return `answered:${e.level}`;
    case "engineer.declined":
      return `declined:${e.level}`;
    case "engineer.accepted":
      return `accepted:${e.level}`;
    case "engineer.missed":
    case "conversation.ended":
      return `leg:${e.level}`;
    case "voicemail.prompt":
      return "voicemail";
    case "voicemail.recorded":
      return "recording";
    case "recording.status":
      return `recording-status:${e.status}`;
    case "voicemail.transcribed":
      return "transcription";
    case "call.ended":
      return "ended";
    case "webhook.fallback":
      return `fallback:${e.path}:${e.errorCode}`;
    case "incident.raised":
      return "incident";
    case "followup.email-sent":
      return "email:sent";
    case "followup.mobilise-sent":
      return "mobilise:sent";
    case "followup.email-failed":
      return "email:failed";
    case "followup.mobilise-failed":
      return "mobilise:failed";
    case "followup.late-contact":
      return "late-contact";
    case "case.hold":
      return `case:hold:${e.generation}`;
    case "case.replied":
      return `case:reply:${e.generation}`;
    case "case.reopened":
      return `case:reopen:${e.generation}`;
    case "case.closed":
      return `case:closed:${e.generation}`;
    default:
      return mailEventKey(e);
  }
}

const LEG_TEXT: Record<LegResult, string> = {
  accepted: "accepted the call; conversation ended",
  declined: "answered and declined",
  "not-accepted": "answered but did not accept (no key pressed; possibly a personal voicemail)",
  "no-answer": "did not answer",
  busy: "was busy",
  failed: "could not be reached (call failed)",
  canceled: "was still ringing when the caller hung up",
};

const seconds = (n: number | null) => (n ? ` (${n} s)` : "");

/** The one place each event's sentence is worded. `at` is an ISO instant. */
export const timeline = {
  received: (at: string, f: { from: string; partner: string | null; drill: boolean }): Of<"call.received"> => ({
    event: "call.received",
    at,
    ...f,
    text: `Call from ${f.partner ? `${f.partner} (${f.from})` : f.from}${f.drill ? " — drill" : ""}; greeting played`,
  }),
  notice: (at: string, name: string): Of<"statuspage.notice"> => ({ event: "statuspage.notice", at, name, text: `Status page incident announced: ${name}` }),
  noticeChoice: (at: string, digits: string | null, hunt: boolean): Of<"statuspage.choice"> => ({
    event: "statuspage.choice",
    at,
    digits,
    hunt,
    text: hunt ? "Caller pressed 1 to reach an engineer anyway" : digits ? `Caller pressed ${digits}; referred to the status page` : "No key pressed; caller referred to the status page",
  }),
  dialled: (at: string, level: number, engineer: string): Of<"engineer.dialled"> => ({ event: "engineer.dialled", at, level, engineer, text: `Dialling ${engineer}` }),
  answered: (at: string, level: number, engineer: string): Of<"engineer.answered"> => ({ event: "engineer.answered", at, level, engineer, text: `${engineer} answered; whisper played` }),
  declined: (at: string, level: number, engineer: string, digits: string | null): Of<"engineer.declined"> => ({
    event: "engineer.declined",
    at,
    level,
    engineer,
    digits,
    text: `${engineer} pressed ${digits ?? "nothing"}; call passed on`,
  }),
  accepted: (at: string, level: number, engineer: string): Of<"engineer.accepted"> => ({
    event: "engineer.accepted",
    at,
    level,
    engineer,
    text: `${engineer} pressed 1 and was connected to the caller`,
  }),
  legEnded: (at: string, level: number, engineer: string, result: LegResult, secs: number): Of<"engineer.missed"> | Of<"conversation.ended"> =>
    result === "accepted"
      ? { event: "conversation.ended", at, level, engineer, seconds: secs, text: `${engineer} ${LEG_TEXT[result]}${seconds(secs)}` }
      : { event: "engineer.missed", at, level, engineer, result, seconds: secs, text: `${engineer} ${LEG_TEXT[result]}${seconds(secs)}` },
  voicemailPrompt: (at: string): Of<"voicemail.prompt"> => ({
    event: "voicemail.prompt",
    at,
    text: "No engineer accepted; caller asked to leave a voicemail with a follow-up contact",
  }),
  recorded: (at: string, secs: number, hungUp: boolean): Of<"voicemail.recorded"> => ({
    event: "voicemail.recorded",
    at,
    seconds: secs,
    hungUp,
    text: `Voicemail recorded (${secs} s)${hungUp ? "; caller hung up to finish" : ""}`,
  }),
  recordingStatus: (at: string, recordingSid: string, status: string): Of<"recording.status"> => ({
    event: "recording.status",
    at,
    recordingSid,
    status,
    text: `Recording ${recordingSid} ${status}`,
  }),
  transcribed: (at: string, status: "completed" | "failed", transcript: string): Of<"voicemail.transcribed"> => ({
    event: "voicemail.transcribed",
    at,
    status,
    transcript,
    text: status === "completed" ? `Transcription received: "${transcript}"` : "Transcription failed; the recording is kept",
  }),
  ended: (at: string, callStatus: string, secs: number | null): Of<"call.ended"> => ({
    event: "call.ended",
    at,
    callStatus,
    seconds: secs,
    text: `Call ended (${callStatus}${secs !== null ? `, ${secs} s` : ""})`,
  }),
  fallback: (at: string, errorCode: string, path: string): Of<"webhook.fallback"> => ({
    event: "webhook.fallback",
    at,
    errorCode,
    path,
    text: `Twilio gave up on ${path} (error ${errorCode}) and asked the fallback URL; the call resumed there`,
  }),
  raised: (at: string, incidentId: string, outcome: z.infer<typeof outcomeSchema>): Of<"incident.raised"> => ({
    event: "incident.raised",
    at,
    incidentId,
    outcome,
    text: `Incident ${incidentId} raised (SEV1, outcome ${outcome})`,
  }),
  emailSent: (at: string, to: string, source: string): Of<"followup.email-sent"> => ({ event: "followup.email-sent", at, to, source, text: `Follow-up email sent to ${to} (${source})` }),
  mobiliseSent: (at: string, target: string, httpStatus: number): Of<"followup.mobilise-sent"> => ({
    event: "followup.mobilise-sent",
    at,
    target,
    httpStatus,
    text: `Responders mobilised via the ${target === "drill" ? "drill" : "on-call"} webhook (HTTP ${httpStatus})`,
  }),
  deliveryFailed: (at: string, kind: "email" | "mobilise", attempts: number, error: string): Of<"followup.email-failed"> | Of<"followup.mobilise-failed"> => ({
    event: kind === "email" ? "followup.email-failed" : "followup.mobilise-failed",
    at,
    attempts,
    error,
    text: `${kind === "email" ? "Follow-up email" : "Mobilisation"} failed after ${attempts} attempt(s): ${error}`,
  }),
  lateContact: (at: string, spoken: string, sentTo: string): Of<"followup.late-contact"> => ({
    event: "followup.late-contact",
    at,
    spoken,
    sentTo,
    text: `Transcript names ${spoken}, after the follow-up went to ${sentTo}; not sent again — staff, forward it if needed`,
  }),
  caseHold: (at: string, generation: number, closesAt: string): Of<"case.hold"> => ({
    event: "case.hold",
    at,
    generation,
    closesAt,
    text: `Case awaiting the partner's reply; closes at ${closesAt} without one`,
  }),
  caseReplied: (at: string, generation: number): Of<"case.replied"> => ({ event: "case.replied", at, generation, text: "Partner replied; the case stays open for the engineers (the pending close is cancelled)" }),
  caseReopened: (at: string, generation: number, closesAt: string): Of<"case.reopened"> => ({
    event: "case.reopened",
    at,
    generation,
    closesAt,
    text: `Case reopened by staff; closes at ${closesAt} without a reply`,
  }),
  caseClosed: (at: string, generation: number): Of<"case.closed"> => ({ event: "case.closed", at, generation, text: "Case closed: no reply from the partner within the hold" }),
  caseClosedByStaff: (at: string, generation: number, by: string): Of<"case.closed"> => ({ event: "case.closed", at, generation, text: `Case closed by ${by}` }),
};
