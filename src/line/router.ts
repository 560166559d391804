import { LineContext, type LineDeps } from "./context.ts";
import { webhookEdge, type WebhookEdge } from "./edge.ts";
import { signatureCheck } from "./signature.ts";
import { paths } from "./urls.ts";
import type { TwimlWebhook, Webhook } from "./webhook.ts";
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
export function lineWebhooks(deps: LineDeps): WebhookEdge {
  const line = new LineContext(deps);
  // The webhooks whose TwiML the caller's call runs: the ones the number's Fallback URL may stand in for.
  const callerTwiml = new Map<string, TwimlWebhook>([
    [paths.incoming, incomingWebhook(line)],
    [paths.notice, noticeWebhook(line)],
    [paths.dial, dialWebhook(line)],
    [paths.recording, recordingWebhook(line)],
  ]);
  const webhooks = new Map<string, Webhook>([
    ...callerTwiml,
    [paths.whisper, whisperWebhook(line)],
    [paths.whisperAnswer, whisperAnswerWebhook(line)],
    [paths.recordingStatus, recordingStatusWebhook(line)],
    [paths.transcription, transcriptionWebhook(line)],
    [paths.status, statusWebhook(line)],
    [paths.fallback, fallbackWebhook(line, callerTwiml, resumeWebhook(line))],
  ]);
  const { TWILIO_AUTH_TOKEN, TWILIO_AUTH_TOKEN_SECONDARY, PUBLIC_BASE_URL } = deps.config;
  return webhookEdge({
    webhooks,
    checkSignature: signatureCheck([TWILIO_AUTH_TOKEN, ...(TWILIO_AUTH_TOKEN_SECONDARY ? [TWILIO_AUTH_TOKEN_SECONDARY] : [])], PUBLIC_BASE_URL),
    metrics: deps.metrics,
    // body-parser's defaults, which the webhooks had before: 64 KB, a thousand fields.
    limits: { bytes: 64 * 1024, fields: 1000 },
  });
}
