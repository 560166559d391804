import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { Metrics } from "../metrics.ts";
import { readForm } from "./form-body.ts";
import { fieldsOf, json, type Fields, type Webhook, type WebhookAnswer } from "./webhook.ts";

export interface WebhookEdge {
  /**
   * The webhook a request is for: a POST to one of the line's paths (urls.ts), matched as Express's router
   * matched (routedPath). Anything else (another method, another path) is null, for the app's router.
   */
  match(req: IncomingMessage): Webhook | null;
  /**
   * Reads the form (bounded), checks its signature, runs the webhook and answers. Never rejects. `log` gives
   * the request's logger, asked for only when a webhook logs (most never do: a child logger per request
   * would be made for nothing).
   */
  serve(webhook: Webhook, req: IncomingMessage, res: ServerResponse, log: () => Logger): Promise<void>;
}

export interface EdgeOptions {
  webhooks: ReadonlyMap<string, Webhook>;
  /** Why the signature is refused, or null (signature.ts). */
  checkSignature: (signature: string | string[] | undefined, requestedUrl: string, params: Fields) => string | null;
  metrics: Metrics;
  /** The form's limits: a webhook's form is a few dozen short fields. */
  limits: { bytes: number; fields: number };
}

/**
 * The Twilio webhooks' own way in, beside the app's router (app.ts sends them here first): no router, no
 * body-parser, no per-request framework objects. What it does is what the router's stack did for them,
 * in the same order: time the request, read the form within its limits, check the signature, run the webhook.
 */
export function webhookEdge({ webhooks, checkSignature, metrics, limits }: EdgeOptions): WebhookEdge {
  return {
    match(req) {
      if (req.method !== "POST" || !req.url) return null;
      const target = requestTarget(req.url);
      if (target === null) return null;
      const webhook = webhooks.get(routedPath(pathOf(target)));
      // An absolute-form target ("POST http://host/voice/incoming") is read as its path, as the router reads it.
      if (webhook && target !== req.url) req.url = target;
      return webhook ?? null;
    },
    async serve(webhook, req, res, log) {
      // The signature covers the URL as requested; the webhook, the logs and the metrics see the routed path.
      const url = req.url!;
      const requestedPath = pathOf(url);
      const path = routedPath(requestedPath);
      const stop = metrics.webhookLatency.startTimer();
      res.once("finish", () => stop({ route: path.slice("/voice".length), status: String(res.statusCode) }));
      let answer: WebhookAnswer;
      try {
        const form = await readForm(req, { limit: limits.bytes, maxFields: limits.fields });
        if ("refused" in form) {
          // A body that may go on past what is read of it: the connection closes after the answer.
          if (form.refused.close) res.setHeader("Connection", "close");
          answer = json(form.refused.status, { error: form.refused.message });
        } else {
          const refusal = checkSignature(req.headers["x-twilio-signature"], url, form.fields);
          const query = url.length > requestedPath.length ? fieldsOf(url.slice(requestedPath.length + 1)) : {};
          answer = refusal ? { status: 403, contentType: "text/plain; charset=utf-8", body: refusal } : await webhook({ path, url, query, body: form.fields, log });
        }
      } catch (error) {
        // A bug of ours (a webhook's own failures answer fallback TwiML): logged with the request's line.
        res.err = error;
        answer = json(500, { error: `internal error; logged under request id ${String(req.id)}` });
      }
      res.statusCode = answer.status;
      res.setHeader("Content-Type", answer.contentType);
      res.end(answer.body);
    },
  };
}

/**
 * The path a webhook is listed under for a requested path: as Express's router matched, letters in any case
 * and one trailing slash (a Voice URL typed into Twilio's console as /voice/incoming/ keeps working).
 */
function routedPath(path: string): string {
  const lower = path.toLowerCase();
  return lower.length > 1 && lower.endsWith("/") ? lower.slice(0, -1) : lower;
}

function pathOf(target: string): string {
  const query = target.indexOf("?");
  return query === -1 ? target : target.slice(0, query);
}

/**
 * A request's path and query. An absolute-form target ("POST http://host/voice/incoming", as proxies may
 * send, and as HTTP/1.1 servers must accept) gives its path and query; the host in it is ignored, as the
 * Host header is. Null when the target is neither.
 */
export function requestTarget(url: string): string | null {
  if (url.startsWith("/")) return url;
  if (!/^https?:\/\//i.test(url)) return null;
  try {
    const target = new URL(url);
    return `${target.pathname}${target.search}`;
  } catch {
    return null;
  }
}
