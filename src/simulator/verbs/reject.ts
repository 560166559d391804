import { end, type VerbRunner } from "./verb.ts";

/** <Reject reason>: the leg ends unanswered; the reason ("busy" or "rejected") becomes the call's status. */
export const reject: VerbRunner = (_leg, verb) => end({ how: "reject", reason: verb.attrs.reason ?? "rejected" });
