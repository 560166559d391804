import { CONTINUE, type VerbRunner } from "./verb.ts";

// Text-to-speech pace: about 150 words a minute.
const WORDS_PER_SECOND = 2.5;

export function speechSeconds(text: string): number {
  const words = text.split(/\s+/).filter(Boolean).length;
  return Math.max(1, Math.round((words / WORDS_PER_SECOND) * 10) / 10);
}

/** <Say>: the leg's party hears the text, for as long as it takes to speak it. */
export const say: VerbRunner = (leg, verb) => {
  leg.call.note(leg.party, "hears", verb.text);
  leg.call.advance(speechSeconds(verb.text));
  return CONTINUE;
};
