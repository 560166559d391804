import { engineerAt } from "../../call/engineers.ts";
import { whisperKey } from "../../call/flow.ts";
import { timeline as events } from "../../call/timeline-events.ts";
import { drillLabel } from "../../metrics.ts";
import type { WriteGuard } from "../../store/write-ops.ts";
import type { LineContext } from "../context.ts";
import { callParams, gatherParams, whisperQuery } from "../params.ts";

/** POST /voice/whisper: engineer N answered; they hear who is calling and must press 1 to take the call. */
export function whisperWebhook(line: LineContext) {
  const { sessions, timeline } = line.deps;
  return line.route({
    body: callParams,
    query: whisperQuery,
    answer: async (p) => {
      if (notThisCallsLeg(p)) return line.twiml({ step: "whisper-declined" });
      const meta = await line.requireMeta(p.parent);
      await line.together(sessions.markAnswered(p.parent, p.level), timeline.append(p.parent, events.answered(line.stamp(), p.level, engineerAt(meta.engineers, p.level))));
      return line.twiml({ step: "whisper", caller: meta, level: p.level, callSid: p.parent });
    },
    // Without the session the caller is unknown here: the engineer's leg comes From the line's own number
    // (the Dial's callerId), so the whisper says only that an emergency call waits, and the keys work the same.
    fallback: (p) => line.twiml({ step: "whisper", caller: UNKNOWN_CALLER, level: p.level, callSid: p.parent }),
  });
}

/** POST /voice/whisper/answer: the engineer's key. Only 1 accepts; the first key pressed at a level stands. */
export function whisperAnswerWebhook(line: LineContext) {
  const { sessions, timeline, incidents, metrics, now } = line.deps;
  return line.route({
    body: gatherParams,
    query: whisperQuery,
    answer: async (p) => {
      if (notThisCallsLeg(p)) return line.twiml({ step: "whisper-declined" });
      const meta = await line.requireMeta(p.parent);
      const key = whisperKey(p.Digits, p.play);
      if (key.then === "again") {
        const unknownKey = key.because === "unknown-key" ? p.Digits : undefined;
        return line.twiml({ step: "whisper", caller: meta, level: p.level, callSid: p.parent, play: key.play, unknownKey });
      }
      const who = engineerAt(meta.engineers, p.level);
      // What a decision writes; each resolves to whether its timeline entry was the first.
      const accept = (guard?: WriteGuard) =>
        Promise.all([sessions.setStage(p.parent, "connected", p.level, guard), timeline.append(p.parent, events.accepted(line.stamp(), p.level, who), guard)]).then(([, first]) => first);
      const decline = (guard?: WriteGuard) => timeline.append(p.parent, events.declined(line.stamp(), p.level, who, p.Digits ?? null), guard);
      // What the key decides is written with the decision, in its round trip (started after it, so applied
      // after it), guarded by it: if an earlier key at this level decided otherwise (a replay, two presses
      // racing), those writes are skipped, and the decision that stands is carried out next.
      const deciding = sessions.decide(p.parent, p.level, key.decision);
      const guard = sessions.decidedAs(p.level, key.decision);
      const [decision, firstEntry] = await Promise.all([deciding, key.decision === "accepted" ? accept(guard) : decline(guard)]);
      const sentWithDecision = decision === key.decision;
      if (decision === "declined") {
        if (!sentWithDecision) await decline();
        return line.twiml({ step: "whisper-declined" });
      }
      const firstAcceptance = sentWithDecision ? firstEntry : await accept();
      await incidents.raiseOnce(p.parent, "connected");
      if (firstAcceptance) metrics.timeToHuman.observe({ drill: drillLabel(meta.drill) }, (now().getTime() - Date.parse(meta.startedAt)) / 1000);
      return line.twiml({ step: "whisper-accepted" });
    },
    // Without the session the keys work the same; the replay names no caller (see the whisper's fallback).
    fallback: (p) => {
      const key = whisperKey(p.Digits, p.play);
      if (key.then === "decide") return line.twiml({ step: key.decision === "accepted" ? "whisper-accepted" : "whisper-declined" });
      return line.twiml({ step: "whisper", caller: UNKNOWN_CALLER, level: p.level, callSid: p.parent, play: key.play, unknownKey: key.because === "unknown-key" ? p.Digits : undefined });
    },
  });
}

/** A caller no session describes: the whisper then names nobody. */
const UNKNOWN_CALLER = { from: "", partner: null, drill: false };

/**
 * Twilio sends the engineer's leg with its ParentCallSid: the caller's call. A leg whose parent is another
 * call than the one its URL names never decides for that call (it would accept a call its engineer never
 * heard); it is let go, and the call it belongs to goes on.
 */
function notThisCallsLeg(p: { parent: string; ParentCallSid?: unknown }): boolean {
  return typeof p.ParentCallSid === "string" && p.ParentCallSid !== p.parent;
}
