import express, { Router } from "express";
import type { Logger } from "pino";
import type { Config } from "../config.ts";
import type { Metrics } from "../console/metrics.ts";
import type { Incidents } from "../incidents/incidents.ts";
import type { Timeline } from "../incidents/timeline.ts";
import type { CallerUsage } from "../roster/caller-usage.ts";
import { identifyCaller } from "../roster/callers.ts";
import type { Roster } from "../roster/roster.ts";
import { engineerLabel, type Engineer } from "../roster/engineers.ts";
import { maskPhone } from "../roster/phone.ts";
import type { StatusPage } from "../statuspage/client.ts";
import { afterDial, isCallOver, legResult, looksLikeConversation, noticeChoice, whisperDecision } from "./flow.ts";
import * as P from "./params.ts";
import type { CallMeta, CallSessions } from "./sessions.ts";
import { requireTwilioSignature } from "./signature.ts";
import { render, type DialTarget, type Step } from "./twiml.ts";
import { twimlRoute } from "./webhook.ts";

export interface LineDeps {
  config: Config;
  sessions: CallSessions;
  timeline: Timeline;
  incidents: Incidents;
  statusPage: StatusPage;
  usage: CallerUsage;
  roster: Roster;
  metrics: Metrics;
  log: Logger;
  now: () => Date;
}

const LEG_TEXT: Record<string, string> = {
  accepted: "accepted the call; conversation ended",
  declined: "answered and declined",
  "not-accepted": "answered but did not accept (no key pressed; possibly a personal voicemail)",
  "no-answer": "did not answer",
  busy: "was busy",
  failed: "could not be reached (call failed)",
  canceled: "was still ringing when the caller hung up",
};

/** The Twilio webhooks of DESIGN.md section 1. Each route: validate, ask flow.ts, store, answer TwiML. */
export function lineRoutes(deps: LineDeps): Router {
  const { config, sessions, timeline, incidents, statusPage, usage, roster, metrics, log, now } = deps;
  const base = config.PUBLIC_BASE_URL;
  const twiml = (step: Step) => render(base, step);
  const stamp = () => now().toISOString();
  const target = (callSid: string, level: number, engineers: readonly Engineer[]): DialTarget => ({
    level,
    engineer: engineers[level - 1]!,
    callSid,
    ringTimeout: config.RING_TIMEOUT_SECONDS,
  });
  const who = (engineers: readonly Engineer[], level: number) => {
    const engineer = engineers[level - 1];
    return engineer ? `engineer ${level} (${engineerLabel(engineer, level)})` : `engineer ${level}`;
  };
  const requireMeta = async (callSid: string): Promise<CallMeta> => {
    const meta = await sessions.meta(callSid);
    if (!meta) throw new Error(`no session for call ${callSid}`);
    return meta;
  };
  /** Records that a level is being dialled and answers its Dial, after the greeting or a hold prompt. */
  const dialStep = async (meta: CallMeta, level: number, intro: "greeting" | "hold" | "another"): Promise<string> => {
    await sessions.setStage(meta.callSid, "hunting", level);
    await timeline.append(meta.callSid, `dial:${level}`, {
      at: stamp(),
      event: "engineer.dialled",
      level,
      text: `Dialling ${who(meta.engineers, level)}`,
    });
    const dial = target(meta.callSid, level, meta.engineers);
    return twiml(intro === "greeting" ? { step: "greeting", drill: meta.drill, dial } : { step: "dial", intro, dial });
  };

  const router = Router();
  router.use((req, res, next) => {
    const stop = metrics.webhookLatency.startTimer();
    res.on("finish", () => stop({ route: req.route?.path ?? "unmatched", status: String(res.statusCode) }));
    next();
  });
  router.use(express.urlencoded({ extended: false, limit: "64kb" }));
  router.use(requireTwilioSignature(config.TWILIO_AUTH_TOKEN, base));

  router.post(
    "/incoming",
    twimlRoute({
      log,
      body: P.callParams,
      answer: async (p, requestLog) => {
        // Unreadable (Redis away) counts as a new call: its session is then spooled like any other write,
        // so a call that starts during an outage still gets its incident once Redis is back.
        let meta = await sessions.meta(p.CallSid).catch(() => null);
        if (!meta) {
          const caller = identifyCaller(config, p.From);
          const [callsInLastDay, statusNotice, engineers] = await Promise.all([
            usage.record(p.From, p.CallSid, now()),
            statusPage.currentIncident(),
            roster.current(),
          ]);
          meta = (
            await sessions.start({
              callSid: p.CallSid,
              from: p.From,
              to: p.To,
              ...caller,
              startedAt: stamp(),
              engineers,
              statusNotice,
              callsInLastDay,
            })
          ).meta;
          requestLog.info({ callSid: p.CallSid, from: maskPhone(p.From), drill: meta.drill }, "call received");
        }
        await timeline.append(p.CallSid, "received", {
          at: stamp(),
          event: "call.received",
          text: `Call from ${meta.partner ? `${meta.partner.name} (${meta.from})` : meta.from}${meta.drill ? " — drill" : ""}; greeting played`,
        });
        if (meta.statusNotice) {
          await sessions.setStage(p.CallSid, "notice");
          await timeline.append(p.CallSid, "notice", {
            at: stamp(),
            event: "statuspage.notice",
            text: `Status page incident announced: ${meta.statusNotice.name}`,
          });
          return twiml({ step: "status-notice", drill: meta.drill, notice: meta.statusNotice });
        }
        return dialStep(meta, 1, "greeting");
      },
      fallback: (p) =>
        twiml({ step: "greeting", drill: identifyCaller(config, p.From).drill, dial: target(p.CallSid, 1, roster.known()) }),
    }),
  );

  router.post(
    "/notice",
    twimlRoute({
      log,
      body: P.gatherParams,
      answer: async (p) => {
        const meta = await requireMeta(p.CallSid);
        if (noticeChoice(p.Digits) === "hunt") {
          await timeline.append(p.CallSid, "notice-choice", { at: stamp(), event: "statuspage.choice", text: "Caller pressed 1 to reach an engineer anyway" });
          return dialStep(meta, 1, "hold");
        }
        await timeline.append(p.CallSid, "notice-choice", {
          at: stamp(),
          event: "statuspage.choice",
          text: p.Digits ? `Caller pressed ${p.Digits}; referred to the status page` : "No key pressed; caller referred to the status page",
        });
        await incidents.raiseOnce(p.CallSid, "status-page");
        return twiml({ step: "status-goodbye" });
      },
      fallback: (p) =>
        noticeChoice(p.Digits) === "hunt"
          ? twiml({ step: "dial", intro: "hold", dial: target(p.CallSid, 1, roster.known()) })
          : twiml({ step: "status-goodbye" }),
    }),
  );

  router.post(
    "/dial",
    twimlRoute({
      log,
      body: P.dialActionParams,
      query: P.levelQuery,
      answer: async (p) => {
        const call = await sessions.get(p.CallSid);
        if (!call) throw new Error(`no session for call ${p.CallSid}`);
        const { meta } = call;
        const level = p.level;
        const result = legResult({
          dialStatus: p.DialCallStatus,
          answered: call.answeredLevels.includes(level),
          decision: call.acceptedLevel === level ? "accepted" : call.declinedLevels.includes(level) ? "declined" : null,
        });
        const seconds = p.DialCallDuration ?? 0;
        const first = await sessions.recordAttempt(p.CallSid, {
          level,
          engineer: meta.engineers[level - 1]!,
          result,
          dialStatus: p.DialCallStatus,
          seconds,
          endedAt: stamp(),
        });
        if (first) metrics.legs.inc({ result });
        await timeline.append(p.CallSid, `leg:${level}`, {
          at: stamp(),
          event: result === "accepted" ? "conversation.ended" : "engineer.missed",
          level,
          text: `${who(meta.engineers, level)} ${LEG_TEXT[result]}${seconds ? ` (${seconds} s)` : ""}`,
        });
        const next = afterDial({ level, levels: meta.engineers.length, result, callOver: call.endedAt !== null });
        switch (next.next) {
          case "nothing":
            return twiml({ step: "empty" });
          case "connected-end":
            return twiml({ step: "connected-end" });
          case "dial":
            return dialStep(meta, next.level, "another");
          case "voicemail":
            await sessions.setStage(p.CallSid, "voicemail");
            await timeline.append(p.CallSid, "voicemail", {
              at: stamp(),
              event: "voicemail.prompt",
              text: "No engineer accepted; caller asked to leave a voicemail with a follow-up contact",
            });
            return twiml({ step: "voicemail" });
        }
      },
      // Without the session we cannot know whether the leg was accepted. A long answered leg was a
      // conversation; otherwise moving on to the next engineer is the safe reading, since hanging up could
      // drop a caller nobody has spoken to.
      fallback: (p) => {
        if (looksLikeConversation(p.DialCallStatus, p.DialCallDuration)) return twiml({ step: "connected-end" });
        const engineers = roster.known();
        return p.level < engineers.length
          ? twiml({ step: "dial", intro: "another", dial: target(p.CallSid, p.level + 1, engineers) })
          : twiml({ step: "voicemail" });
      },
    }),
  );

  router.post(
    "/whisper",
    twimlRoute({
      log,
      body: P.callParams,
      query: P.whisperQuery,
      answer: async (p) => {
        const meta = await requireMeta(p.parent);
        await sessions.markAnswered(p.parent, p.level);
        await timeline.append(p.parent, `answered:${p.level}`, {
          at: stamp(),
          event: "engineer.answered",
          level: p.level,
          text: `${who(meta.engineers, p.level)} answered; whisper played`,
        });
        return twiml({ step: "whisper", caller: meta, level: p.level, callSid: p.parent });
      },
      // The engineer's leg shows the caller's number as its From, which is enough to brief them.
      fallback: (p) => twiml({ step: "whisper", caller: { from: p.From, ...identifyCaller(config, p.From) }, level: p.level, callSid: p.parent }),
    }),
  );

  router.post(
    "/whisper/answer",
    twimlRoute({
      log,
      body: P.gatherParams,
      query: P.whisperQuery,
      answer: async (p) => {
        const meta = await requireMeta(p.parent);
        const decision = await sessions.decide(p.parent, p.level, whisperDecision(p.Digits));
        if (decision === "declined") {
          await timeline.append(p.parent, `declined:${p.level}`, {
            at: stamp(),
            event: "engineer.declined",
            level: p.level,
            text: `${who(meta.engineers, p.level)} pressed ${p.Digits ?? "nothing"}; call passed on`,
          });
          return twiml({ step: "whisper-declined" });
        }
        await sessions.setStage(p.parent, "connected", p.level);
        const firstAcceptance = await timeline.append(p.parent, `accepted:${p.level}`, {
          at: stamp(),
          event: "engineer.accepted",
          level: p.level,
          text: `${who(meta.engineers, p.level)} pressed 1 and was connected to the caller`,
        });
        await incidents.raiseOnce(p.parent, "connected");
        if (firstAcceptance) metrics.timeToHuman.observe((now().getTime() - Date.parse(meta.startedAt)) / 1000);
        return twiml({ step: "whisper-accepted" });
      },
      fallback: (p) => twiml({ step: whisperDecision(p.Digits) === "accepted" ? "whisper-accepted" : "whisper-declined" }),
    }),
  );

  router.post(
    "/recording",
    twimlRoute({
      log,
      body: P.recordingParams,
      answer: async (p) => {
        await sessions.setRecording(p.CallSid, "action", { url: p.RecordingUrl, sid: p.RecordingSid, duration: p.RecordingDuration });
        await timeline.append(p.CallSid, "recording", {
          at: stamp(),
          event: "voicemail.recorded",
          text: `Voicemail recorded (${p.RecordingDuration} s)${p.Digits === "hangup" ? "; caller hung up to finish" : ""}`,
        });
        // Unless the transcription somehow came first, the email waits for it: it may name the contact.
        const transcribed = await sessions.get(p.CallSid).then((call) => call?.transcription != null, () => false);
        await incidents.raiseOnce(p.CallSid, "voicemail", { awaitTranscript: !transcribed });
        return twiml({ step: "thank-you" });
      },
      fallback: () => twiml({ step: "thank-you" }),
    }),
  );

  router.post(
    "/recording/status",
    twimlRoute({
      log,
      body: P.recordingStatusParams,
      answer: async (p) => {
        await sessions.setRecording(p.CallSid, "status", {
          url: p.RecordingUrl,
          sid: p.RecordingSid,
          duration: p.RecordingDuration ?? 0,
          status: p.RecordingStatus,
        });
        await timeline.append(p.CallSid, `recording-status:${p.RecordingStatus}`, {
          at: stamp(),
          event: "recording.status",
          text: `Recording ${p.RecordingSid} ${p.RecordingStatus}`,
        });
        return twiml({ step: "empty" });
      },
      fallback: () => twiml({ step: "empty" }),
    }),
  );

  router.post(
    "/transcription",
    twimlRoute({
      log,
      body: P.transcriptionParams,
      answer: async (p) => {
        const text = p.TranscriptionText ?? "";
        await sessions.setTranscription(p.CallSid, { status: p.TranscriptionStatus, text, sid: p.TranscriptionSid ?? null });
        await timeline.append(p.CallSid, "transcription", {
          at: stamp(),
          event: "voicemail.transcribed",
          text: p.TranscriptionStatus === "completed" ? `Transcription received: "${text}"` : "Transcription failed; the recording is kept",
        });
        await incidents.transcribed(p.CallSid);
        return twiml({ step: "empty" });
      },
      fallback: () => twiml({ step: "empty" }),
    }),
  );

  router.post(
    "/status",
    twimlRoute({
      log,
      body: P.statusCallbackParams,
      answer: async (p) => {
        if (isCallOver(p.CallStatus)) await incidents.callEnded(p.CallSid, { callStatus: p.CallStatus, duration: p.CallDuration ?? null });
        return twiml({ step: "empty" });
      },
      fallback: () => twiml({ step: "empty" }),
    }),
  );

  return router;
}
