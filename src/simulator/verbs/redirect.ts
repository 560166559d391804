import type { VerbRunner } from "./verb.ts";

/** <Redirect>: the leg continues with the document at the URL it names (the leg counts documents against loops). */
export const redirect: VerbRunner = (leg, verb) => leg.action(verb, verb.text);
