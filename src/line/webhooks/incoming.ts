import { identifyCaller } from "../../call/callers.ts";
import { maskPhone } from "../../call/phone.ts";
import { timeline as events } from "../../call/timeline-events.ts";
import type { CallMeta } from "../../call/records.ts";
import type { WriteGuard } from "../../store/write-ops.ts";
import type { LineContext } from "../context.ts";
import { callParams } from "../params.ts";

/** POST /voice/incoming: the number's Voice URL. Starts the session, greets, then the notice or engineer 1. */
export function incomingWebhook(line: LineContext) {
  const { config, sessions, timeline, statusPage, usage, oncall, now } = line.deps;
  /** The call received, then the status notice or engineer 1. */
  const firstSteps = async (meta: CallMeta, guard?: WriteGuard): Promise<string> => {
    const received = timeline.append(meta.callSid, events.received(line.stamp(), { from: meta.from, partner: meta.partner?.name ?? null, drill: meta.drill }), guard);
    if (meta.statusNotice) {
      await line.together(received, sessions.setStage(meta.callSid, "notice", undefined, guard), timeline.append(meta.callSid, events.notice(line.stamp(), meta.statusNotice.name), guard));
      return line.twiml({ step: "status-notice", drill: meta.drill, notice: meta.statusNotice });
    }
    const [, answer] = await Promise.all([received, line.dialStep(meta, 1, "greeting", guard)]);
    return answer;
  };
  return line.route({
    body: callParams,
    answer: async (p, request) => {
      // The session is started without reading first (one round trip fewer on every call): `start` writes
      // first-wins, so a replayed first webhook gets the stored session back, and its caller is not counted
      // twice (usage.record is per CallSid). With Redis away the session is spooled like any other write, so
      // a call that starts during an outage still gets its incident once Redis is back. A session
      // reconstructed from a later webhook (this one came late) gives way to the real one.
      const caller = identifyCaller(config, p.From);
      // The number's group is decided here, once: repeated calls page under the first call's incident.
      const [use, statusNotice, engineers] = await Promise.all([usage.record(p.From, p.CallSid, now()), statusPage.currentIncident(), oncall.forCall(now())]);
      const meta: CallMeta = { callSid: p.CallSid, from: p.From, to: p.To, ...caller, startedAt: line.stamp(), engineers, statusNotice, ...use, reconstructed: false };
      // The greeting's writes go with the start, in its round trip, guarded by this session: if one was already
      // there (a replayed first webhook), they are skipped and made again from the stored one.
      const [started, answer] = await Promise.all([sessions.start(meta), firstSteps(meta, sessions.startedBy(meta))]);
      if (!started.created) return firstSteps(started.meta);
      // Asked of the line's logger first: the request's own is made only for a line that is written.
      if (line.deps.log.isLevelEnabled("info")) request.log().info({ callSid: p.CallSid, from: maskPhone(p.From), drill: meta.drill, grouped: meta.groupedWithCall !== null }, "call received");
      return answer;
    },
    fallback: (p) => line.twiml({ step: "greeting", drill: identifyCaller(config, p.From).drill, dial: line.target(p.CallSid, 1, line.knownEngineers(), p.To) }),
  });
}
