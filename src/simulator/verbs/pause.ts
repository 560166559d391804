import { CONTINUE, type VerbRunner } from "./verb.ts";

/** <Pause length>: silence, one second by default. */
export const pause: VerbRunner = (leg, verb) => {
  leg.call.advance(Number(verb.attrs.length ?? 1));
  return CONTINUE;
};
