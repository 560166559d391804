import { end, type VerbRunner } from "./verb.ts";

/** <Hangup>: the leg ends here; nothing after it runs. */
export const hangup: VerbRunner = () => end({ how: "hangup" });
