import { engineerAt } from "../../call/engineers.ts";
import { afterDial, isCallOver, legResult, looksLikeConversation, type AfterDial } from "../../call/flow.ts";
import { timeline as events } from "../../call/timeline-events.ts";
import { drillLabel } from "../../metrics.ts";
import type { LineContext } from "../context.ts";
import { dialActionParams, levelQuery } from "../params.ts";

/** POST /voice/dial?level=N: the Dial action, when engineer N's leg ended. Records the leg, then what's next. */
export function dialWebhook(line: LineContext) {
  const { sessions, timeline, incidents, metrics } = line.deps;
  return line.route({
    body: dialActionParams,
    query: levelQuery,
    answer: async (p) => {
      let call = await sessions.get(p.CallSid);
      if (!call) {
        await line.sessionOf(p, "hunting");
        call = await sessions.get(p.CallSid);
      }
      if (!call) throw new Error(`no session for call ${p.CallSid}`);
      const { meta } = call;
      const level = p.level;
      const callOver = call.endedAt !== null || isCallOver(p.CallStatus);
      const answered = call.answeredLevels.includes(level);
      const decision = call.acceptedLevel === level ? "accepted" : call.declinedLevels.includes(level) ? "declined" : null;
      // A leg dialled before its session was reconstructed left no trace in it: read it as the fallback does.
      const unknownLeg = meta.reconstructed && !answered && decision === null;
      const conversation = unknownLeg && looksLikeConversation(p.DialCallStatus, p.DialCallDuration);
      const result = conversation ? "accepted" : legResult({ dialStatus: p.DialCallStatus, answered, decision, callOver });
      const seconds = p.DialCallDuration ?? 0;
      // A level past the call's own engineers can only come from a fallback that dialled from a newer roster.
      const engineer = meta.engineers[level - 1] ?? null;
      const attempt = () => sessions.recordAttempt(p.CallSid, { level, engineer, result, dialStatus: p.DialCallStatus, seconds, endedAt: line.stamp() });
      const legEnded = () => timeline.append(p.CallSid, events.legEnded(line.stamp(), level, engineerAt(meta.engineers, level), result, seconds));
      const next = afterDial({ level, levels: meta.engineers.length, result, callOver });
      const count = (first: boolean) => first && metrics.legs.inc({ result, drill: drillLabel(meta.drill) });
      if (conversation) {
        // The leg's account and its timeline entry go together; a conversation raises its incident between them.
        const first = await attempt();
        await sessions.setStage(p.CallSid, "connected", level);
        await incidents.raiseOnce(p.CallSid, "connected");
        await legEnded();
        count(first);
        await line.endIfOver(p);
        return answerFor(line, p, next);
      }
      // The leg's account, the call's end if it is over, and the next step's writes, in the order they must
      // reach Redis, started in one turn: one round trip (docs/architecture.md, "One round trip").
      const recorded = Promise.all([attempt(), legEnded()]);
      const ended = line.endIfOver(p);
      const answer =
        next.next === "dial"
          ? line.dialStep(meta, next.level, "another")
          : next.next === "voicemail"
            ? line.together(sessions.setStage(p.CallSid, "voicemail"), timeline.append(p.CallSid, events.voicemailPrompt(line.stamp()))).then(() => answerFor(line, p, next))
            : Promise.resolve(answerFor(line, p, next));
      const [[first], , twiml] = await Promise.all([recorded, ended, answer]);
      count(first);
      return twiml;
    },
    // Without the session we cannot know whether the leg was accepted. A long answered leg was a
    // conversation; otherwise moving on to the next engineer is the safe reading, since hanging up could
    // drop a caller nobody has spoken to. The same decision as above, from what the request says alone.
    fallback: (p) => {
      const callOver = isCallOver(p.CallStatus);
      const result = looksLikeConversation(p.DialCallStatus, p.DialCallDuration) ? "accepted" : legResult({ dialStatus: p.DialCallStatus, answered: false, decision: null, callOver });
      return answerFor(line, p, afterDial({ level: p.level, levels: line.knownEngineers().length, result, callOver }));
    },
  });
}

function answerFor(line: LineContext, p: { CallSid: string; To: string }, next: AfterDial): string {
  switch (next.next) {
    case "nothing":
      return line.twiml({ step: "empty" });
    case "connected-end":
      return line.twiml({ step: "connected-end" });
    case "voicemail":
      return line.twiml({ step: "voicemail" });
    case "dial":
      return line.dialFallback(p, next.level, "another");
  }
}
