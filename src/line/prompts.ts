import type { Partner } from "../call/partners.ts";
import { digitByDigit, isWithheld } from "../call/phone.ts";
import type { StatusNotice } from "../call/records.ts";

/** Every sentence the line speaks, in one place, so staff can review wording in twiml/ when it changes. */
const DRILL = "This is a drill. No real incident is being reported.";

// Every second of prompt before the first ring is a second of a partner's outage: the greeting names the
// line and says what happens, nothing more (the drill and status notices aside).
export function greeting(drill: boolean): string {
  const main = "Emergency on-call line.";
  return drill ? `${DRILL} ${main}` : main;
}

export function holdForEngineer(): string {
  return "Connecting you to an engineer.";
}

// The page's link is not read out: a URL spoken by text-to-speech helps nobody.
export function statusNotice(notice: StatusNotice): string {
  return (
    `Our status page already shows an incident: ${notice.name}. ` +
    "Updates are published on our status page. The on-call team cannot give further updates by phone. " +
    "If your problem is different, or you still need an engineer, press 1 now."
  );
}

export function statusGoodbye(): string {
  return "Thank you for calling. Please follow the status page for updates. Goodbye.";
}

export function tryingAnother(): string {
  return "Trying another engineer.";
}

/**
 * The whisper, in short sentences with a pause between (the TwiML puts one) so an engineer woken at 3 a.m.
 * takes it in the first time; every second of it is also a second the caller waits for a human.
 */
export function whisperWho(caller: { from: string; partner: Partner | null; drill: boolean }): string {
  if (!caller.from && !caller.partner) return `${caller.drill ? "Drill call. " : ""}Emergency call on the on-call line.`;
  const who = caller.partner ? caller.partner.name : isWithheld(caller.from) ? "a withheld number" : `number ${digitByDigit(caller.from).slice(0, 2 * 16)}`;
  return `${caller.drill ? "Drill call. " : ""}Emergency call from ${who}.`;
}

export function whisperKeys(): string {
  return "Press 1 to accept, 2 to pass, star to repeat.";
}

export function whisperUnknownKey(digits: string): string {
  return `The key ${digits === "#" ? "pound" : digits} does nothing here.`;
}

export function whisperDeclined(): string {
  return "The call will go to the next engineer. Goodbye.";
}

export function voicemailPrompt(): string {
  return (
    "No engineer could take your call right now. After the tone, first say how we should reach you: " +
    "an email address or a phone number. Then describe the problem. " +
    "Press the pound key or hang up when you are done."
  );
}

export function noRecording(): string {
  return "We did not receive a message. If you still need help, please call again. Goodbye.";
}

export function thankYou(): string {
  return "Thank you. Your message has been recorded, an incident has been raised, and we will follow up with you shortly. Goodbye.";
}

export function oneMoment(): string {
  return "One moment please.";
}

export function callEnded(): string {
  return "The engineer has left the call. Goodbye.";
}
