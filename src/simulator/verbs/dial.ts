import { CallerHungUp, sid, type Party } from "../call-state.ts";
import type { EngineerBehaviour } from "../scenario.ts";
import type { Verb } from "../twiml-parser.ts";
import { CONTINUE, type LegContext, type VerbRunner } from "./verb.ts";

const BUSY_SECONDS = 3;
const FAILED_SECONDS = 1;
// Twilio lets a dialled phone ring about 5 s longer than asked: "we will add a 5-second buffer to the timeout
// value you provide" (twilio.com/docs/voice/api/call-resource, Timeout). We take <Dial timeout> to do the same,
// the reading that makes the caller wait longer: an engineer who does not answer costs them timeout + 5 s.
const RING_GRACE_SECONDS = 5;

/** One dialled <Number>: who it reaches and what their phone does. */
interface DialledNumber {
  noun: Verb;
  level: number;
  behaviour: EngineerBehaviour;
  legSid: string;
}

/** The parameters a Dial's action gets: DialCallStatus, DialCallSid, DialCallDuration, DialBridged. */
type Outcome = Record<string, string>;

type Answering = DialledNumber & { behaviour: Extract<EngineerBehaviour, { answerAfter: number }> };

/** How the Dial ended, in the parameters Twilio gives its action (no talk time, no bridge, unless given). */
const dialOutcome = (status: string, extra: Record<string, string> = {}): Outcome => ({ DialCallStatus: status, DialCallDuration: "0", DialBridged: "false", ...extra });

/**
 * <Dial> with its <Number> nouns. Several Numbers ring at once and the first to answer wins. With an action,
 * Twilio requests it with the Dial's outcome and its document continues the call; without one, the next verb runs.
 */
export const dial: VerbRunner = async (leg, verb) => {
  const outcome = await ring(leg, verb);
  return verb.attrs.action ? leg.action(verb, verb.attrs.action, outcome) : CONTINUE;
};

async function ring(leg: LegContext, verb: Verb): Promise<Outcome> {
  const { call } = leg;
  const timeout = Number(verb.attrs.timeout ?? 30);
  const other = verb.children.find((child) => child.name !== "Number");
  if (other) throw new Error(`the carrier dials only <Number>, not <${other.name}>`);
  if (verb.children.length === 0) throw new Error("<Dial> without a <Number>");
  call.firstRingAt ??= call.clock;
  const numbers: DialledNumber[] = verb.children.map((noun) => ({ noun, ...call.engineerAt(noun.text), legSid: sid("CA") }));
  for (const number of numbers) call.note(`engineer ${number.level}`, "rings", `${number.noun.text} rings (${number.behaviour.does})`);

  const ringsFor = timeout + RING_GRACE_SECONDS;
  const answering = numbers
    .filter((number): number is Answering => "answerAfter" in number.behaviour && number.behaviour.answerAfter < ringsFor)
    .sort((a, b) => a.behaviour.answerAfter - b.behaviour.answerAfter)[0];
  if (answering) return answer(leg, verb, answering);

  const quick = numbers.every((number) => number.behaviour.does === "busy" || number.behaviour.does === "failed");
  const status = quick ? (numbers.some((number) => number.behaviour.does === "busy") ? "busy" : "failed") : "no-answer";
  const legSid = numbers[0]!.legSid;
  await duringDial(leg, verb, () => dialOutcome(call.variation.hangUpDialStatus, { DialCallSid: legSid }), () => call.advance(quick ? (status === "busy" ? BUSY_SECONDS : FAILED_SECONDS) : ringsFor));
  for (const number of numbers) call.note(`engineer ${number.level}`, "misses", status);
  return dialOutcome(status, { DialCallSid: legSid });
}

/**
 * The <Number> that answered. Its url runs on the engineer's own leg before the bridge (the whisper); if
 * that document hangs up, the leg ends without a bridge and Twilio still reports DialCallStatus "completed"
 * for the answered leg (the reading the line must survive: an answer is not an acceptance).
 */
async function answer(leg: LegContext, verb: Verb, answering: Answering): Promise<Outcome> {
  const { call } = leg;
  const { noun, behaviour, legSid } = answering;
  const party: Party = `engineer ${answering.level}`;
  const started = call.clock;
  await duringDial(leg, verb, () => dialOutcome(call.variation.hangUpDialStatus, { DialCallSid: legSid }), () => call.advance(behaviour.answerAfter));
  call.note(party, "answers", behaviour.does === "voicemail" ? "a personal voicemail picks up" : "picks up");
  const answeredAt = call.clock;
  const completed = (bridged: boolean) => () => dialOutcome("completed", { DialCallSid: legSid, DialCallDuration: String(Math.round(call.clock - answeredAt)), DialBridged: String(bridged) });
  // sendDigits are played to the engineer's phone once it answers (extensions, PINs).
  if (noun.attrs.sendDigits) call.note("carrier", "note", `sends ${noun.attrs.sendDigits} to ${party}`);

  if (noun.attrs.url && !(await duringDial(leg, verb, completed(false), () => whisper(leg, verb, answering, party)))) {
    call.note(party, "hangs up", "leg ended before the bridge");
    return completed(false)();
  }
  call.bridgedLevel = answering.level;
  call.humanAt ??= call.clock;
  const talkFor = behaviour.does === "accept" ? behaviour.talkFor : 0;
  call.note(party, "bridged", `caller and ${party} talk (${talkFor} s)`);
  await duringDial(leg, verb, completed(true), () => call.advance(talkFor));
  call.note(party, "hangs up", "engineer ends the conversation");
  return { DialCallStatus: "completed", DialCallSid: legSid, DialCallDuration: String(Math.round(call.clock - started)), DialBridged: "true" };
}

/** Runs the Number's url document on the engineer's leg; true when it ends without hanging up (the bridge). */
async function whisper(leg: LegContext, verb: Verb, { noun, behaviour, legSid }: Answering, party: Party): Promise<boolean> {
  const engineer = leg.dialled({
    party,
    sid: legSid,
    params: {
      AccountSid: leg.call.options.accountSid,
      CallSid: legSid,
      ParentCallSid: leg.sid,
      // The engineer sees the Dial's callerId, or by default the caller's own number.
      From: verb.attrs.callerId ?? leg.call.caller.number,
      To: noun.text,
      CallStatus: "in-progress",
      Direction: "outbound-dial",
      ApiVersion: "2010-04-01",
    },
    keys: engineerKeys(behaviour),
  });
  const end = await engineer.run(leg.resolve(noun.attrs.url), noun.attrs.method ?? "POST");
  return end.how === "finished";
}

/**
 * The keys an engineer presses at each playing of the whisper: first those of `before` (such as "*" to hear
 * it again), then 1 to accept or their key to decline, again at any later playing; a personal voicemail
 * presses nothing.
 */
function engineerKeys(behaviour: Answering["behaviour"]): () => string {
  if (behaviour.does === "voicemail") return () => "";
  const keys = [...behaviour.before, behaviour.does === "accept" ? "1" : behaviour.press];
  return () => (keys.length > 1 ? keys.shift()! : keys[0]!);
}

/**
 * Time passes during the Dial (ringing, the whisper, talking). If the caller hangs up meanwhile, Twilio
 * still requests the action, with the caller's CallStatus completed and how the Dial ended, after the call
 * and in no promised order with the status callback; its answer is ignored, the call being over.
 */
async function duringDial<T>(leg: LegContext, verb: Verb, outcome: () => Outcome, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof CallerHungUp && verb.attrs.action) leg.actionAfterHangUp(verb, outcome());
    throw error;
  }
}
