import { noticeChoice } from "../../call/flow.ts";
import { timeline as events } from "../../call/timeline-events.ts";
import type { LineContext } from "../context.ts";
import { gatherParams } from "../params.ts";

/** POST /voice/notice: the caller's answer to the status page notice (1: an engineer anyway; else goodbye). */
export function noticeWebhook(line: LineContext) {
  const { timeline, incidents } = line.deps;
  return line.route({
    body: gatherParams,
    answer: async (p) => {
      // Only a call at the notice chooses here: a stray or late request for a call already hunting, connected
      // or over must not send it back to engineer 1. One read serves both; unreadable, the session is rebuilt.
      const call = await line.deps.sessions.get(p.CallSid).catch(() => null);
      if (call && call.stage !== "notice" && call.stage !== "greeting") return line.resume(call);
      const meta = call?.meta ?? (await line.sessionOf(p, "notice"));
      const hunt = noticeChoice(p.Digits) === "hunt";
      await timeline.append(p.CallSid, events.noticeChoice(line.stamp(), p.Digits ?? null, hunt));
      if (hunt) return line.dialStep(meta, 1, "hold");
      await incidents.raiseOnce(p.CallSid, "status-page");
      return line.twiml({ step: "status-goodbye" });
    },
    fallback: (p) => (noticeChoice(p.Digits) === "hunt" ? line.dialFallback(p, 1, "hold") : line.twiml({ step: "status-goodbye" })),
  });
}
