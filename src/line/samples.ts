import { render, type DialTarget, type TwimlDocument } from "./twiml.ts";

/**
 * One sample of every document the line answers with, rendered by the real code. `emergency-line
 * render-twiml` writes them to twiml/ for review; a test fails when the code and the files differ.
 */
const BASE = "https://line.example.com";
const CALL_SID = "CA00000000000000000000000000000001";
const ENGINEERS = [
  { name: "Ada", number: "+15550001001" },
  { name: "Grace", number: "+15550001002" },
  { name: "Linus", number: "+15550001003" },
];
const PARTNER_CALLER = { from: "+15557770001", partner: { name: "Acme Payments", email: "oncall@acme.test" }, drill: false };
const dial = (level: number): DialTarget => ({ level, engineer: ENGINEERS[level - 1]!, callSid: CALL_SID, ringTimeout: 20, callerId: "+15550009999" });

export const SAMPLE_STEPS: Record<string, TwimlDocument> = {
  "greeting": { step: "greeting", drill: false, dial: dial(1) },
  "greeting-drill": { step: "greeting", drill: true, dial: dial(1) },
  "greeting-nobody-on-call": { step: "greeting", drill: false, dial: null },
  "status-notice": {
    step: "status-notice",
    drill: false,
    notice: { name: "Elevated payment API error rates", link: "https://status.example.com/incidents/abc123" },
  },
  "status-goodbye": { step: "status-goodbye" },
  "dial-level-1": { step: "dial", intro: "hold", dial: dial(1) },
  "dial-level-2": { step: "dial", intro: "another", dial: dial(2) },
  "dial-level-3": { step: "dial", intro: "another", dial: dial(3) },
  "whisper": { step: "whisper", caller: PARTNER_CALLER, level: 1, callSid: CALL_SID },
  "whisper-unknown-caller": { step: "whisper", caller: { from: "+447700900123", partner: null, drill: false }, level: 2, callSid: CALL_SID },
  "whisper-drill": { step: "whisper", caller: { ...PARTNER_CALLER, drill: true }, level: 1, callSid: CALL_SID },
  "whisper-withheld-number": { step: "whisper", caller: { from: "anonymous", partner: null, drill: false }, level: 1, callSid: CALL_SID },
  "whisper-unknown-key": { step: "whisper", caller: PARTNER_CALLER, level: 1, callSid: CALL_SID, play: 2, unknownKey: "7" },
  "whisper-accepted": { step: "whisper-accepted" },
  "whisper-declined": { step: "whisper-declined" },
  "voicemail": { step: "voicemail" },
  "thank-you": { step: "thank-you" },
  "connected-end": { step: "connected-end" },
  "hold-on": { step: "hold-on", redirect: `${BASE}/voice/whisper/answer?level=1&parent=${CALL_SID}&deadline=1&Digits=1` },
};

export function renderSamples(): Record<string, string> {
  return Object.fromEntries(Object.entries(SAMPLE_STEPS).map(([name, step]) => [`${name}.xml`, `${render(BASE, step, { pretty: true })}\n`]));
}
