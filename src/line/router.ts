import express, { Router } from "express";
import { LineContext, type LineDeps } from "./context.ts";
import { requireTwilioSignature } from "./signature.ts";
import { paths } from "./urls.ts";
import { dialWebhook } from "./webhooks/dial.ts";
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
  router.use(requireTwilioSignature(deps.config.TWILIO_AUTH_TOKEN, deps.config.PUBLIC_BASE_URL));
  const route = (path: string) => path.slice("/voice".length);
  router.post(route(paths.incoming), incomingWebhook(line));
  router.post(route(paths.notice), noticeWebhook(line));
  router.post(route(paths.dial), dialWebhook(line));
  router.post(route(paths.whisper), whisperWebhook(line));
  router.post(route(paths.whisperAnswer), whisperAnswerWebhook(line));
  router.post(route(paths.recording), recordingWebhook(line));
  router.post(route(paths.recordingStatus), recordingStatusWebhook(line));
  router.post(route(paths.transcription), transcriptionWebhook(line));
  router.post(route(paths.status), statusWebhook(line));
  return router;
}
