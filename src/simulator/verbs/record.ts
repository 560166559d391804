import { CallerHungUp, sid } from "../call-state.ts";
import { CONTINUE, type VerbRunner } from "./verb.ts";

/**
 * Twilio transcribes only recordings longer than 2 s and shorter than 120 s; outside those it logs warning
 * 13617 and sends no transcription callback at all (twilio.com/docs/api/errors/13617).
 */
const transcribable = (seconds: number) => seconds > 2 && seconds < 120;

/**
 * <Record>: the party's message after the beep (the caller's scenario voicemail; an engineer says nothing).
 * A message goes to the action; an empty recording skips it and the next verb runs, as on Twilio. The
 * recording status and transcription callbacks come after the call, at their virtual times.
 */
export const record: VerbRunner = async (leg, verb) => {
  const { call } = leg;
  const voicemail = leg.voicemail;
  if (verb.attrs.playBeep !== "false") call.note(leg.party, "hears", "(beep)");
  // The drill's "beep at" is the moment the caller reaches the voicemail.
  if (leg.kind === "caller") call.beepAt ??= call.clock;
  if (!voicemail) {
    call.advance(Number(verb.attrs.timeout ?? 5));
    return CONTINUE;
  }
  const maxLength = Number(verb.attrs.maxLength ?? 3600);
  const duration = Math.min(voicemail.seconds, maxLength);
  const recordingSid = sid("RE");
  const recordingUrl = `https://api.twilio.com/2010-04-01/Accounts/${call.options.accountSid}/Recordings/${recordingSid}`;
  call.note(leg.party, "records", `${duration} s: "${voicemail.says}"`);
  const hangsUp = voicemail.endsWith === "hangup" && duration === voicemail.seconds;
  // The recording's own end (a key, a hang-up, maxLength) decides when it stops, not the caller's hangUpAfter.
  call.clock += duration;
  const finishKey = (verb.attrs.finishOnKey ?? "1234567890*#").includes("#") ? "#" : (verb.attrs.finishOnKey ?? "")[0];
  if (!hangsUp && finishKey) call.note(leg.party, "presses", finishKey);
  // The Record action's documented parameters are RecordingUrl, RecordingDuration and Digits
  // (twilio.com/docs/voice/twiml/record); RecordingSid usually comes too, and a chaos run leaves it out.
  const recorded = {
    RecordingUrl: recordingUrl,
    ...(call.variation.omitRecordingSid ? {} : { RecordingSid: recordingSid }),
    RecordingDuration: String(duration),
    Digits: hangsUp ? "hangup" : duration === maxLength ? "" : (finishKey ?? ""),
  };
  const about = { AccountSid: call.options.accountSid, CallSid: leg.sid, RecordingSid: recordingSid, RecordingUrl: recordingUrl };
  if (verb.attrs.recordingStatusCallback) {
    call.defer("recording-status", call.clock + 1, leg.resolve(verb.attrs.recordingStatusCallback), { ...about, RecordingStatus: "completed", RecordingDuration: String(duration) });
  }
  if (verb.attrs.transcribe === "true" || verb.attrs.transcribeCallback) {
    if (!transcribable(duration)) call.note("carrier", "note", `no transcription: a ${duration} s recording is outside Twilio's 2 to 120 s (warning 13617)`);
    else {
      call.defer("transcription", call.clock + voicemail.transcriptionAfter, leg.resolve(verb.attrs.transcribeCallback), {
        ...about,
        TranscriptionSid: sid("TR"),
        TranscriptionStatus: voicemail.transcription,
        TranscriptionText: voicemail.transcription === "completed" ? voicemail.says : "",
      });
    }
  }
  if (hangsUp) {
    // Twilio still requests the action after a hang-up, and ignores what it answers.
    leg.actionAfterHangUp(verb, recorded);
    throw new CallerHungUp();
  }
  return leg.action(verb, verb.attrs.action, recorded);
};
