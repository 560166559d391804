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
      // Unreadable (Redis away) counts as a new call: its session is then spooled like any other write,
      // so a call that starts during an outage still gets its incident once Redis is back.
      // A session reconstructed from a later webhook (this one came late) gives way to the real one.
      let meta = await sessions.meta(p.CallSid).catch(() => null);
      if (!meta || meta.reconstructed) {
        const caller = identifyCaller(config, p.From);
        // The number's group is decided here, once: repeated calls page under the first call's incident.
        const [use, statusNotice, engineers] = await Promise.all([usage.record(p.From, p.CallSid, now()), statusPage.currentIncident(), oncall.forCall(now())]);
        meta = (
          await sessions.start({ callSid: p.CallSid, from: p.From, to: p.To, ...caller, startedAt: line.stamp(), engineers, statusNotice, ...use, reconstructed: false })
        ).meta;
        requestLog.info({ callSid: p.CallSid, from: maskPhone(p.From), drill: meta.drill, grouped: meta.groupedWithCall !== null }, "call received");
      }
      await timeline.append(p.CallSid, events.received(line.stamp(), { from: meta.from, partner: meta.partner?.name ?? null, drill: meta.drill }));
      if (meta.statusNotice) {
        await sessions.setStage(p.CallSid, "notice");
        await timeline.append(p.CallSid, events.notice(line.stamp(), meta.statusNotice.name));
        return line.twiml({ step: "status-notice", drill: meta.drill, notice: meta.statusNotice });
      }
      return line.dialStep(meta, 1, "greeting");
    },
    fallback: (p) => line.twiml({ step: "greeting", drill: identifyCaller(config, p.From).drill, dial: line.target(p.CallSid, 1, line.knownEngineers(), p.To) }),
  });
}
