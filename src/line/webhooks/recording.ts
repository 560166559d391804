import { isTranscribable } from "../../call/flow.ts";
import { timeline as events } from "../../call/timeline-events.ts";
import type { LineContext } from "../context.ts";
import { recordingParams, recordingStatusParams } from "../params.ts";

/** POST /voice/recording: the Record action. The voicemail is the call's outcome. */
export function recordingWebhook(line: LineContext) {
  const { sessions, timeline, incidents, releaseEmail, log } = line.deps;
  return line.route({
    body: recordingParams,
    answer: async (p) => {
      await line.sessionOf(p, "voicemail");
      // The recording, its timeline entry and whether the transcription came first, in one round trip: the
      // transcription is another webhook's write, which these do not touch.
      const [, , transcribed] = await Promise.all([
        sessions.setRecording(p.CallSid, "action", { url: p.RecordingUrl, sid: p.RecordingSid ?? null, duration: p.RecordingDuration }),
        timeline.append(p.CallSid, events.recorded(line.stamp(), p.RecordingDuration, p.Digits === "hangup")),
        sessions.get(p.CallSid).then(
          (call) => call?.transcription != null,
          () => false,
        ),
      ]);
      // The email waits for the transcription, which may name the contact, unless it came first or never will.
      const awaitTranscript = !transcribed && isTranscribable(p.RecordingDuration);
      const { incidentId } = await incidents.raiseOnce(p.CallSid, "voicemail", { awaitTranscript });
      // The hang-up may have raised the incident first, holding its email for a transcription that is not
      // coming (too short or too long to transcribe): send it now. Best effort: the hold ends on its own.
      if (!awaitTranscript && incidentId) await releaseEmail(incidentId).catch((err: unknown) => log.warn({ err, incidentId }, "could not release the follow-up email"));
      await line.endIfOver(p);
      return line.twiml({ step: "thank-you" });
    },
    fallback: () => line.twiml({ step: "thank-you" }),
  });
}

/** POST /voice/recording/status: the recording status callback; it races the Record action. */
export function recordingStatusWebhook(line: LineContext) {
  const { sessions, timeline } = line.deps;
  return line.route({
    body: recordingStatusParams,
    answer: async (p) => {
      await line.sessionIfRaised(p.CallSid);
      await line.together(
        sessions.setRecording(p.CallSid, "status", { url: p.RecordingUrl, sid: p.RecordingSid, duration: p.RecordingDuration ?? 0, status: p.RecordingStatus }),
        timeline.append(p.CallSid, events.recordingStatus(line.stamp(), p.RecordingSid, p.RecordingStatus)),
      );
      return line.twiml({ step: "empty" });
    },
    fallback: () => line.twiml({ step: "empty" }),
  });
}
