import { isCallOver } from "../../call/flow.ts";
import type { LineContext } from "../context.ts";
import { statusCallbackParams } from "../params.ts";

/** POST /voice/status: the number's status callback. A terminal status ends the call and settles its outcome. */
export function statusWebhook(line: LineContext) {
  const { incidents } = line.deps;
  return line.route({
    body: statusCallbackParams,
    answer: async (p) => {
      if (isCallOver(p.CallStatus)) {
        // A call over that the line never saw start still happened: its incident needs a session to be whole.
        await line.sessionOf(p, "greeting");
        await incidents.callEnded(p.CallSid, { callStatus: p.CallStatus, duration: p.CallDuration ?? null });
      }
      return line.twiml({ step: "empty" });
    },
    fallback: () => line.twiml({ step: "empty" }),
  });
}
