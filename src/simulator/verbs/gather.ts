import type { Verb } from "../twiml-parser.ts";
import { CONTINUE, type VerbRunner } from "./verb.ts";
import { pause } from "./pause.ts";
import { play } from "./play.ts";
import { say } from "./say.ts";

/** What a <Gather> may play while it listens; Twilio flags anything else (warning 13320, invalid nested verb). */
const PROMPTS = new Map<string, VerbRunner>(Object.entries({ Say: say, Play: play, Pause: pause }));

/**
 * <Gather>: the prompt plays, then the party's next keys go to the action as Digits. We read keys as pressed
 * once the prompt has played (Twilio also accepts them during it); the time to a human then errs on the long side.
 */
export const gather: VerbRunner = async (leg, verb) => {
  const prompts = verb.children.map((child) => {
    const runner = PROMPTS.get(child.name);
    if (!runner) throw new Error(`<Gather> may only contain <Say>, <Play> and <Pause>, not <${child.name}> (Twilio 13320)`);
    return { runner, child };
  });
  for (const { runner, child } of prompts) await runner(leg, child);
  const pressed = leg.keys();
  if (pressed) leg.call.note(leg.party, "presses", pressed);
  const digits = collect(pressed, verb);
  if (digits) return leg.action(verb, verb.attrs.action, { Digits: digits });
  // Silence lasts the timeout; a lone finishOnKey ends the Gather at once, with no input all the same.
  if (!pressed) leg.call.advance(Number(verb.attrs.timeout ?? 5));
  // Twilio: with no input the next verb runs, unless actionOnEmptyResult asks for the action anyway.
  return verb.attrs.actionOnEmptyResult === "true" ? leg.action(verb, verb.attrs.action) : CONTINUE;
};

/**
 * The Digits a Gather submits for the keys pressed: it stops at numDigits, or at finishOnKey ("#" by
 * default, "" for none), which ends the input and is not part of it (twilio.com/docs/voice/twiml/gather,
 * "finishOnKey"). So "#" alone on a default Gather is no input at all, and "12#" submits "12".
 */
function collect(pressed: string, verb: Verb): string {
  const finishOnKey = verb.attrs.finishOnKey ?? "#";
  const numDigits = verb.attrs.numDigits ? Number(verb.attrs.numDigits) : Infinity;
  let digits = "";
  for (const key of pressed) {
    if (finishOnKey !== "" && key === finishOnKey) break;
    digits += key;
    if (digits.length >= numDigits) break;
  }
  return digits;
}
