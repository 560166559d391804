import twilio from "twilio";

/**
 * One webhook request as Twilio makes it: signed with the auth token, with an idempotency token, and timed.
 * Twilio waits 15 s in all for an answer (twilio.com/docs/api/errors/11205: a 10 s TCP connect within a
 * 15 s total), then fails the request and, for a call's TwiML, requests the number's Fallback URL.
 */
export const WEBHOOK_TIMEOUT_MS = 15_000;

export interface Exchange {
  url: string;
  ms: number;
  /** The HTTP status; 0 when no answer came (refused, reset, timed out). */
  status: number;
  body: string;
}

/**
 * Why a webhook failed, as Twilio's error codes name it. 11205: no HTTP answer in time, or no connection
 * (twilio.com/docs/api/errors/11205); 11200: the answer was an HTTP error (twilio.com/docs/api/errors/11200).
 * Either makes Twilio request the Fallback URL (twilio.com/docs/usage/security/availability-reliability).
 */
export class WebhookError extends Error {
  override name = "WebhookError";
  constructor(
    message: string,
    readonly url: string,
    readonly errorCode: "11200" | "11205",
    /** Whether Twilio would try the Fallback URL: not for a 4xx, which says the line refused a correct request. */
    readonly fallsBack: boolean,
  ) {
    super(message);
  }
}

export interface Signer {
  authToken: string;
  timeoutMs: number;
}

export async function sendWebhook(signer: Signer, url: string, method: string, params: Record<string, string>, idempotencyToken: string): Promise<Exchange> {
  const signature = twilio.getExpectedTwilioSignature(signer.authToken, url, method === "GET" ? {} : params);
  const requestUrl = method === "GET" ? `${url}${url.includes("?") ? "&" : "?"}${new URLSearchParams(params)}` : url;
  const started = performance.now();
  // A timer of our own, cleared with the answer: AbortSignal.timeout's is left to the garbage collector
  // (a weak reference per signal), a cost on every webhook of a load run.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), signer.timeoutMs);
  const { signal } = controller;
  try {
    const response = await fetch(requestUrl, {
      method,
      headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature, "i-twilio-idempotency-token": idempotencyToken },
      body: method === "GET" ? undefined : new URLSearchParams(params),
      signal,
    });
    const body = await response.text();
    return { url, ms: performance.now() - started, status: response.status, body };
  } catch (error) {
    // fetch fails with a TypeError for a refused or reset connection, and aborts when the timer expires.
    return { url, ms: performance.now() - started, status: 0, body: signal.aborted ? `no answer within ${signer.timeoutMs} ms` : String((error as Error).cause ?? error) };
  } finally {
    clearTimeout(timer);
  }
}

/** The exchange's answer, or the error Twilio would log for it. */
export function answerOf(exchange: Exchange): string {
  const path = new URL(exchange.url).pathname;
  if (exchange.status >= 200 && exchange.status < 300) return exchange.body;
  if (exchange.status === 0) throw new WebhookError(`${path} did not answer: ${exchange.body} (Twilio error 11205)`, exchange.url, "11205", true);
  const error = `${path} answered HTTP ${exchange.status}: ${exchange.body.slice(0, 200)}`;
  throw new WebhookError(error, exchange.url, "11200", exchange.status >= 500);
}
