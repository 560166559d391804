import twilio from "twilio";
import type { Engineer } from "../call/engineers.ts";
import type { Partner } from "../call/partners.ts";
import type { StatusNotice } from "../call/records.ts";
import { CALL_SID } from "./params.ts";
import * as say from "./prompts.ts";
import { lineUrl, paths } from "./urls.ts";

const { VoiceResponse } = twilio.twiml;
type Response = InstanceType<typeof VoiceResponse>;

export const WHISPER_TIMEOUT_SECONDS = 10;
export const NOTICE_TIMEOUT_SECONDS = 6;
// Twilio transcribes recordings under 120 s only: a voicemail cut at 100 s keeps its transcript, with margin.
export const VOICEMAIL_MAX_SECONDS = 100;
export const VOICEMAIL_SILENCE_SECONDS = 10;

export interface DialTarget {
  level: number;
  engineer: Engineer;
  callSid: string;
  ringTimeout: number;
  /** The line's own number, shown to engineers so they can let it through Do Not Disturb. */
  callerId?: string;
}

/** Every TwiML document the line answers with. `step` is what twiml/ files and tests call each one. */
export type TwimlDocument =
  /** `dial` null: nobody is on call, so the greeting leads straight to the voicemail. */
  | { step: "greeting"; drill: boolean; dial: DialTarget | null }
  | { step: "status-notice"; drill: boolean; notice: StatusNotice }
  | { step: "status-goodbye" }
  | { step: "dial"; intro: "hold" | "another"; dial: DialTarget }
  | {
      step: "whisper";
      caller: { from: string; partner: Partner | null; drill: boolean };
      level: number;
      callSid: string;
      /** The whisper's playing (1, 2, 3) and, on a replay, the unknown key that caused it. */
      play?: number;
      unknownKey?: string;
    }
  | { step: "whisper-accepted" }
  | { step: "whisper-declined" }
  | { step: "voicemail" }
  | { step: "thank-you" }
  | { step: "connected-end" }
  /** The answer is late: a word to the caller, then the same request again (see twiml-route.ts). */
  | { step: "hold-on"; redirect: string }
  | { step: "empty" };

/**
 * A step's TwiML depends on its call only through the CallSid (in the whisper's URL and action); the rest
 * (prompts, the roster's numbers, the caller) repeats from call to call. So twilio's VoiceResponse builds
 * each shape once, with a mark where the CallSid goes, and each answer is that copy with the CallSid put in:
 * building the XML was 3% of the line's CPU and 7% of what it allocated (issue 15). A CallSid is CA and 32
 * letters or digits (params.ts), which URL and XML escaping leave as they are, as they leave the mark.
 */
const CALL_SID_MARK = `CA${"x".repeat(32)}`;
const SHAPES_KEPT = 1_000;
const shapes = new Map<string, string>();

function callSidOf(step: TwimlDocument): string | null {
  if (step.step === "whisper") return step.callSid;
  if (step.step === "dial" || step.step === "greeting") return step.dial?.callSid ?? null;
  return null;
}

function withCallSid(step: TwimlDocument, callSid: string): TwimlDocument {
  if (step.step === "whisper") return { ...step, callSid };
  if ((step.step === "dial" || step.step === "greeting") && step.dial) return { ...step, dial: { ...step.dial, callSid } } as TwimlDocument;
  return step;
}

/** `pretty` is for people reading twiml/; Twilio gets the compact form. */
export function render(base: string, step: TwimlDocument, { pretty = false } = {}): string {
  const callSid = callSidOf(step);
  if (pretty || (callSid !== null && !CALL_SID.test(callSid))) return build(base, step, pretty);
  const shape = callSid === null ? step : withCallSid(step, CALL_SID_MARK);
  const key = `${base}\n${JSON.stringify(shape)}`;
  let twiml = shapes.get(key);
  if (twiml === undefined) {
    twiml = build(base, shape, false);
    if (shapes.size >= SHAPES_KEPT) shapes.clear();
    shapes.set(key, twiml);
  }
  return callSid === null ? twiml : twiml.replaceAll(CALL_SID_MARK, callSid);
}

function build(base: string, step: TwimlDocument, pretty: boolean): string {
  const response = new VoiceResponse();
  switch (step.step) {
    case "greeting":
      response.say(say.greeting(step.drill));
      if (step.dial) {
        response.say(say.holdForEngineer());
        dial(response, base, step.dial);
      } else voicemail(response, base);
      break;
    case "status-notice": {
      response.say(say.greeting(step.drill));
      const gather = response.gather({
        numDigits: 1,
        timeout: NOTICE_TIMEOUT_SECONDS,
        action: lineUrl(base, paths.notice),
        method: "POST",
      });
      gather.say(say.statusNotice(step.notice));
      // No key: Twilio runs the next verb. The redirect (no Digits) lets the line record the outcome.
      response.redirect({ method: "POST" }, lineUrl(base, paths.notice));
      break;
    }
    case "status-goodbye":
      response.say(say.statusGoodbye());
      response.hangup();
      break;
    case "dial":
      response.say(step.intro === "hold" ? say.holdForEngineer() : say.tryingAnother());
      dial(response, base, step.dial);
      break;
    case "whisper": {
      const play = step.play ?? 1;
      const query = { level: step.level, parent: step.callSid, ...(play > 1 && { play }) };
      const gather = response.gather({
        numDigits: 1,
        timeout: WHISPER_TIMEOUT_SECONDS,
        action: lineUrl(base, paths.whisperAnswer, query),
        method: "POST",
      });
      if (step.unknownKey) gather.say(say.whisperUnknownKey(step.unknownKey));
      gather.say(say.whisperWho(step.caller));
      gather.pause({ length: 1 });
      gather.say(say.whisperKeys());
      // Reached only when no key was pressed, e.g. a personal voicemail took the call: drop this leg so
      // the Dial ends and the caller moves on.
      response.hangup();
      break;
    }
    case "whisper-accepted":
      // An empty document ends the whisper; Twilio then bridges the engineer to the caller.
      break;
    case "whisper-declined":
      response.say(say.whisperDeclined());
      response.hangup();
      break;
    case "voicemail":
      voicemail(response, base);
      break;
    case "thank-you":
      response.say(say.thankYou());
      response.hangup();
      break;
    case "connected-end":
      response.say(say.callEnded());
      response.hangup();
      break;
    case "hold-on":
      response.say(say.oneMoment());
      response.pause({ length: 2 });
      response.redirect({ method: "POST" }, step.redirect);
      break;
    case "empty":
      break;
  }
  return pretty ? (response.response.end({ pretty: true, indent: "  " }) as string) : response.toString();
}

function dial(response: Response, base: string, target: DialTarget): void {
  const verb = response.dial({
    action: lineUrl(base, paths.dial, { level: target.level }),
    method: "POST",
    timeout: target.ringTimeout,
    // The caller keeps hearing ringing, not silence, while the engineer listens to the whisper.
    answerOnBridge: true,
    ...(target.callerId && { callerId: target.callerId }),
  });
  verb.number(
    { url: lineUrl(base, paths.whisper, { level: target.level, parent: target.callSid }), method: "POST" },
    target.engineer.number,
  );
}

function voicemail(response: Response, base: string): void {
  response.say(say.voicemailPrompt());
  response.record({
    action: lineUrl(base, paths.recording),
    method: "POST",
    maxLength: VOICEMAIL_MAX_SECONDS,
    timeout: VOICEMAIL_SILENCE_SECONDS,
    finishOnKey: "#",
    playBeep: true,
    transcribe: true,
    transcribeCallback: lineUrl(base, paths.transcription),
    recordingStatusCallback: lineUrl(base, paths.recordingStatus),
    recordingStatusCallbackMethod: "POST",
  });
  // Twilio skips the action and runs the next verb when the recording is empty.
  response.say(say.noRecording());
  response.hangup();
}
