import type { DialCallStatus, LegResult, Outcome, Stage } from "./records.ts";

/**
 * The call's decisions as pure functions: webhooks gather what is known, ask here what happens next, and do
 * the I/O. Nothing in this file touches Redis, HTTP or the clock (docs/architecture.md, "The call").
 */

export type WhisperDecision = "accepted" | "declined";

/** Only the key 1 on our own whisper accepts: anything else, or silence, passes the call on. */
export function whisperDecision(digits: string | undefined): WhisperDecision {
  return digits === "1" ? "accepted" : "declined";
}

/** How many times the whisper may play to one engineer: a woken engineer may need it again, a caller waits. */
export const WHISPER_MAX_PLAYS = 3;

export type WhisperKey = { then: "decide"; decision: WhisperDecision } | { then: "again"; because: "repeat" | "unknown-key"; play: number };

/**
 * The engineer's key on the whisper, at its `play`-th playing. 1 accepts, 2 passes the call on, * plays it
 * again, any other key is named and the whisper asked once more; past WHISPER_MAX_PLAYS (or a second
 * unknown key) the call passes on, so a pocket-dial cannot hold the caller forever. Silence never reaches
 * here: the Gather falls through to a Hangup, which passes the call on.
 */
export function whisperKey(digits: string | undefined, play: number): WhisperKey {
  if (digits === "1") return { then: "decide", decision: "accepted" };
  if (digits === "2" || !digits || play >= WHISPER_MAX_PLAYS) return { then: "decide", decision: "declined" };
  if (digits === "*") return { then: "again", because: "repeat", play: play + 1 };
  return play >= 2 ? { then: "decide", decision: "declined" } : { then: "again", because: "unknown-key", play: play + 1 };
}

/** The caller at the status notice pressed 1: hunt. No key (the Redirect after the Gather) or another key: goodbye. */
export function noticeChoice(digits: string | undefined): "hunt" | "status-page" {
  return digits === "1" ? "hunt" : "status-page";
}

/**
 * How an engineer's leg ended, from what the line saw. DialCallStatus alone cannot tell a person from a
 * personal voicemail: both "answer" and report completed, so acceptance comes from the whisper only.
 */
export function legResult(input: {
  dialStatus: DialCallStatus;
  answered: boolean;
  decision: WhisperDecision | null;
  /** The caller's call was over when the leg ended: a phone still ringing then was cut off by the hang-up. */
  callOver?: boolean;
}): LegResult {
  // A leg Twilio says never answered (busy, no-answer, failed) cannot have pressed 1 on our whisper, whatever a
  // request claimed: the Dial's own account wins.
  const neverAnswered = input.dialStatus === "busy" || input.dialStatus === "no-answer" || input.dialStatus === "failed";
  if (input.decision && !(input.decision === "accepted" && neverAnswered)) return input.decision;
  if (input.answered || input.dialStatus === "completed" || input.dialStatus === "answered") return "not-accepted";
  return input.callOver ? "canceled" : input.dialStatus;
}

export type AfterDial = { next: "connected-end" } | { next: "dial"; level: number } | { next: "voicemail" } | { next: "nothing" };

/** `callOver`: the caller hung up while the engineer's phone rang; Twilio ignores what we answer then. */
export function afterDial(input: { level: number; levels: number; result: LegResult; callOver: boolean }): AfterDial {
  if (input.callOver) return { next: "nothing" };
  if (input.result === "accepted") return { next: "connected-end" };
  if (input.level < input.levels) return { next: "dial", level: input.level + 1 };
  return { next: "voicemail" };
}

/**
 * The caller hung up before any outcome was recorded. At the status notice they were served by the page. At
 * the voicemail the outcome is voicemail whether or not a recording follows: Twilio may deliver the status
 * callback before the Record action, and both must lead to the same incident. Anywhere else: abandoned.
 */
export function outcomeOnHangup(stage: Stage): Outcome {
  return HANGUP_OUTCOMES[stage];
}

/**
 * The same decision as data, for every stage: the store applies it, atomically, to whatever stage Redis
 * holds when the hang-up is written (or replayed after an outage), without deciding anything itself.
 */
export const HANGUP_OUTCOMES: Readonly<Record<Stage, Outcome>> = {
  greeting: "abandoned",
  notice: "status-page",
  hunting: "abandoned",
  voicemail: "voicemail",
  connected: "abandoned",
  ended: "abandoned",
};

/**
 * Twilio's terminal call states; any of them ends the session. Twilio does not order a verb's action and the
 * status callback, so a terminal CallStatus on any request of the caller's leg means the call is over,
 * whatever arrives after it.
 */
export function isCallOver(callStatus: string): boolean {
  return ["completed", "busy", "no-answer", "failed", "canceled"].includes(callStatus);
}

/** Twilio transcribes recordings over 2 s and under 120 s only; outside that no transcription ever comes. */
export const TRANSCRIBABLE_SECONDS = { over: 2, under: 120 } as const;
export function isTranscribable(recordingSeconds: number): boolean {
  return recordingSeconds > TRANSCRIBABLE_SECONDS.over && recordingSeconds < TRANSCRIBABLE_SECONDS.under;
}

/**
 * The caller hung up with no outcome yet. At the voicemail stage a recording may still be on its way (its
 * action and the status callback come in any order), so the email waits for the transcription, as it does
 * after the Record action; anywhere else there is nothing to wait for.
 */
export function hangupDecision(stage: Stage, transcriptionWaitMs: number): { outcome: Outcome; emailDelayMs: number } {
  const outcome = outcomeOnHangup(stage);
  return { outcome, emailDelayMs: outcome === "voicemail" ? transcriptionWaitMs : 0 };
}

/**
 * Only for when the session cannot be read: was this answered leg a conversation? A leg that ends at our
 * whisper lasts the whisper and its key timeout (about 15 s); one that lasted well past that was bridged.
 */
export const WHISPER_WINDOW_SECONDS = 30;
export function looksLikeConversation(dialStatus: string, durationSeconds: number | undefined): boolean {
  return (dialStatus === "completed" || dialStatus === "answered") && (durationSeconds ?? 0) > WHISPER_WINDOW_SECONDS;
}
