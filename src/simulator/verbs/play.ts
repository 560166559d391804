import { CONTINUE, type VerbRunner } from "./verb.ts";

// The carrier does not fetch the audio, so every clip lasts this long.
const PLAY_SECONDS = 5;

/** <Play>: the leg's party hears an audio file. */
export const play: VerbRunner = (leg, verb) => {
  leg.call.note(leg.party, "hears", `(audio ${verb.text})`);
  leg.call.advance(PLAY_SECONDS);
  return CONTINUE;
};
