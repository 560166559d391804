import express, { Router, type RequestHandler } from "express";
import { LineContext, type LineDeps } from "./context.ts";
import { requireTwilioSignature } from "./signature.ts";
import { paths } from "./urls.ts";
import { dialWebhook } from "./webhooks/dial.ts";
import { fallbackWebhook, resumeWebhook } from "./webhooks/fallback.ts";
import { incomingWebhook } from "./webhooks/incoming.ts";
import { noticeWebhook } from "./webhooks/notice.ts";
import { recordingStatusWebhook, recordingWebhook } from "./webhooks/recording.ts";
import { statusWebhook } from "./webhooks/status.ts";
import { transcriptionWebhook } from "./webhooks/transcription.ts";
import { whisperAnswerWebhook, whisperWebhook } from "./webhooks/whisper.ts";

export type { LineDeps };

/**
 * The Twilio webhooks under /voice (docs/architecture.md, "The call"). Each: validate, ask the call's flow,
 * store, answer TwiML; on any failure inside, TwiML from the request alone that moves the call on.
 */
export function lineRoutes(deps: LineDeps): Router {
  const line = new LineContext(deps);
  const router = Router();
  router.use((req, res, next) => {
    const stop = deps.metrics.webhookLatency.startTimer();
    res.on("finish", () => stop({ route: req.route?.path ?? "unmatched", status: String(res.statusCode) }));
    next();
  });
  router.use(express.urlencoded({ extended: false, limit: "64kb" }));
  const { TWILIO_AUTH_TOKEN, TWILIO_AUTH_TOKEN_SECONDARY } = deps.config;
  router.use(requireTwilioSignature([TWILIO_AUTH_TOKEN, ...(TWILIO_AUTH_TOKEN_SECONDARY ? [TWILIO_AUTH_TOKEN_SECONDARY] : [])], deps.config.PUBLIC_BASE_URL));
  // The webhooks whose TwiML the caller's call runs: the ones the number's Fallback URL may stand in for.
  const callerTwiml = new Map([
    [paths.incoming, incomingWebhook(line)],
    [paths.notice, noticeWebhook(line)],
    [paths.dial, dialWebhook(line)],
    [paths.recording, recordingWebhook(line)],
  ]);
  const others = new Map<string, RequestHandler>([
    [paths.whisper, whisperWebhook(line)],
    [paths.whisperAnswer, whisperAnswerWebhook(line)],
    [paths.recordingStatus, recordingStatusWebhook(line)],
    [paths.transcription, transcriptionWebhook(line)],
    [paths.status, statusWebhook(line)],
  ]);
  const route = (path: string) => path.slice("/voice".length);
  for (const [path, handler] of [...callerTwiml, ...others]) router.post(route(path), handler);
  router.post(route(paths.fallback), fallbackWebhook(line, callerTwiml, resumeWebhook(line)));
  return router;
}
