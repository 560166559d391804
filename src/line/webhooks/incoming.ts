import { identifyCaller } from "../../call/callers.ts";
import { maskPhone } from "../../call/phone.ts";
import { timeline as events } from "../../call/timeline-events.ts";
import type { LineContext } from "../context.ts";
import { callParams } from "../params.ts";

/** POST /voice/incoming: the number's Voice URL. Starts the session, greets, then the notice or engineer 1. */
export function incomingWebhook(line: LineContext) {
  const { config, sessions, timeline, statusPage, usage, oncall, now } = line.deps;
  return line.route({
    body: callParams,
    answer: async (p, requestLog) => {
      // The session is started without reading first (one round trip fewer on every call): `start` writes
      // first-wins, so a replayed first webhook gets the stored session back, and its caller is not counted
      // twice (usage.record is per CallSid). With Redis away the session is spooled like any other write, so
      // a call that starts during an outage still gets its incident once Redis is back. A session
      // reconstructed from a later webhook (this one came late) gives way to the real one.
      const caller = identifyCaller(config, p.From);
      // The number's group is decided here, once: repeated calls page under the first call's incident.
      const [use, statusNotice, engineers] = await Promise.all([usage.record(p.From, p.CallSid, now()), statusPage.currentIncident(), oncall.forCall(now())]);
      const started = await sessions.start({ callSid: p.CallSid, from: p.From, to: p.To, ...caller, startedAt: line.stamp(), engineers, statusNotice, ...use, reconstructed: false });
      const { meta } = started;
      if (started.created) requestLog.info({ callSid: p.CallSid, from: maskPhone(p.From), drill: meta.drill, grouped: meta.groupedWithCall !== null }, "call received");
      const received = timeline.append(p.CallSid, events.received(line.stamp(), { from: meta.from, partner: meta.partner?.name ?? null, drill: meta.drill }));
      if (meta.statusNotice) {
        await line.together(received, sessions.setStage(p.CallSid, "notice"), timeline.append(p.CallSid, events.notice(line.stamp(), meta.statusNotice.name)));
        return line.twiml({ step: "status-notice", drill: meta.drill, notice: meta.statusNotice });
      }
      const [, answer] = await Promise.all([received, line.dialStep(meta, 1, "greeting")]);
      return answer;
    },
    fallback: (p) => line.twiml({ step: "greeting", drill: identifyCaller(config, p.From).drill, dial: line.target(p.CallSid, 1, line.knownEngineers(), p.To) }),
  });
}
