import type { Logger } from "pino";

/** A form or query as Twilio sends it: a name given twice (level=1&level=2) arrives as a list. */
export type Fields = Record<string, string | string[]>;

/**
 * A Twilio webhook as the line's edge (edge.ts) hands it over: read, bounded and signature-checked already.
 * No framework's request object: the webhooks are the line's hot path, and Express's routing and form
 * parsing cost more than the webhooks' own work that was left once their Redis round trips were cut (README
 * "Benchmark").
 */
export interface WebhookRequest {
  /** The path under the line, as routed: /voice/dial. */
  path: string;
  /** The path and query as requested: PUBLIC_BASE_URL + this is the URL Twilio signed. */
  url: string;
  query: Fields;
  body: Fields;
  /**
   * The request's logger (its lines carry the request id), made when first asked for. A function, not a
   * getter: a getter in each request's object literal kept every request alive in the young generation
   * (request-log.ts; README "Benchmark", round 5, says how it was found).
   */
  log: () => Logger;
}

export interface WebhookAnswer {
  status: number;
  contentType: "text/xml; charset=utf-8" | "application/json; charset=utf-8" | "text/plain; charset=utf-8";
  body: string;
}

export type Webhook = (request: WebhookRequest) => Promise<WebhookAnswer>;

/** Whether a request body (with what a deadline redirect carried) has what this webhook needs: the fallback URL asks before re-running one. */
export type AcceptsBody = (body: unknown) => boolean;

/** A webhook that answers TwiML, and says whether a body would do for it (twiml-route.ts). */
export type TwimlWebhook = Webhook & { accepts: AcceptsBody };

export function json(status: number, value: unknown): WebhookAnswer {
  return { status, contentType: "application/json; charset=utf-8", body: JSON.stringify(value) };
}

/** A query string or form body as Fields: URLSearchParams' decoding (a bad % escape is kept as sent, as qs kept it). */
export function fieldsOf(text: string): Fields {
  const fields: Fields = Object.create(null) as Fields;
  for (const [name, value] of new URLSearchParams(text)) {
    const before = fields[name];
    if (before === undefined) fields[name] = value;
    else if (Array.isArray(before)) before.push(value);
    else fields[name] = [before, value];
  }
  return fields;
}
