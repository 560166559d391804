import { timeline as events } from "../../call/timeline-events.ts";
import type { LineContext } from "../context.ts";
import { transcriptionParams } from "../params.ts";

/** POST /voice/transcription: Twilio's transcription of the voicemail, minutes later; the follow-up is told. */
export function transcriptionWebhook(line: LineContext) {
  const { sessions, timeline } = line.deps;
  return line.route({
    body: transcriptionParams,
    answer: async (p) => {
      await line.sessionIfRaised(p.CallSid);
      const text = p.TranscriptionText ?? "";
      // One round trip; the follow-up is told once the batch is in Redis (a spooled transcription: once it is).
      await line.together(
        sessions.setTranscription(p.CallSid, { status: p.TranscriptionStatus, text, sid: p.TranscriptionSid ?? null }),
        timeline.append(p.CallSid, events.transcribed(line.stamp(), p.TranscriptionStatus, text)),
      );
      return line.twiml({ step: "empty" });
    },
    fallback: () => line.twiml({ step: "empty" }),
  });
}
