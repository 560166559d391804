import type { Logger } from "pino";
import { z } from "zod";
import { BadWebhook, parseParams } from "./parse-params.ts";
import { json, type Fields, type TwimlWebhook, type WebhookAnswer, type WebhookRequest } from "./webhook.ts";

/**
 * A TwiML webhook. `parse` validates (400 on failure, nothing changed). If `answer` fails for any other
 * reason (Redis down, a bug), the caller still gets `fallback`: TwiML computed from the request alone that
 * moves the call on, because Twilio would otherwise play an application error and drop the caller.
 */
const noQuery = z.object({});

/**
 * Twilio waits about 15 s for an answer, then requests the Fallback URL; a caller should not wait that long.
 * Past `ms` the caller hears `holdOn` (a short prompt and a Redirect back to the same URL, the keys pressed
 * carried in its query, so none is lost) while the slow answer finishes; a request already redirected once
 * gets the fallback TwiML instead, so a hung dependency cannot loop the caller.
 */
export interface WebhookDeadline {
  ms: number;
  /** The absolute URL Twilio requested (PUBLIC_BASE_URL + the path and query it asked for). */
  publicUrl: (originalUrl: string) => string;
  holdOn: (redirectUrl: string) => string;
}
const RETRY_MARK = "deadline";

export function twimlRoute<B extends z.ZodType<object>, Q extends z.ZodType<object> = typeof noQuery>(options: {
  body: B;
  query?: Q;
  deadline?: WebhookDeadline;
  /** `request.log()` is the request's logger (its lines carry the request id), made when first asked for. */
  answer: (params: z.infer<B> & z.infer<Q>, request: { readonly log: () => Logger }) => Promise<string>;
  fallback: (params: z.infer<B> & z.infer<Q>) => string;
}): TwimlWebhook {
  type Params = z.infer<B> & z.infer<Q>;
  const handler = async (req: WebhookRequest): Promise<WebhookAnswer> => {
    let params: Params;
    // A Redirect made at the deadline carries the request's own parameters (the keys pressed, the Dial or
    // Record action's results) in its query: Twilio's Redirect sends only the call's. The query is covered by
    // the signature like the body; what the body does say wins.
    const carried = req.query[RETRY_MARK] !== undefined ? carriedParams(req.query) : {};
    try {
      const body: object = parseParams(options.body, { ...carried, ...req.body }, "body");
      const query: object = parseParams(options.query ?? noQuery, req.query, "query");
      params = { ...body, ...query } as Params;
    } catch (error) {
      if (!(error instanceof BadWebhook)) throw error;
      return json(400, { error: error.message, field: error.field });
    }
    let twiml: string;
    const answering = options.answer(params, req);
    try {
      const answered = await withDeadline(answering, options.deadline?.ms);
      if (answered === TIMED_OUT) {
        answering.catch((err: unknown) => req.log().error({ err, path: req.path }, "webhook failed after its deadline"));
        const retried = req.query[RETRY_MARK] !== undefined;
        req.log().warn({ path: req.path, retried }, retried ? "webhook past its deadline twice; answering with fallback TwiML" : "webhook past its deadline; holding the caller");
        twiml = retried || !options.deadline ? options.fallback(params) : options.deadline.holdOn(redirectUrl(options.deadline.publicUrl(req.url), req.body));
      } else twiml = answered;
    } catch (error) {
      req.log().error({ err: error, path: req.path }, "webhook failed; answering with fallback TwiML");
      twiml = options.fallback(params);
    }
    // No ETag (Express would hash every answer for one): Twilio never revalidates a webhook's answer.
    return { status: 200, contentType: "text/xml; charset=utf-8", body: twiml };
  };
  const accepts = (body: unknown) => options.body.safeParse(body ?? {}).success;
  return Object.assign(handler, { accepts });
}

const TIMED_OUT = Symbol("timed out");
async function withDeadline<T>(work: Promise<T>, ms: number | undefined): Promise<T | typeof TIMED_OUT> {
  if (ms === undefined) return work;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// What every request of a call carries anyway, and needs no carrying.
const CALL_PARAMS = new Set(["AccountSid", "CallSid", "From", "To", "CallStatus", "Direction", "ApiVersion", "Caller", "Called", "ParentCallSid"]);

function redirectUrl(url: string, body: Fields): string {
  const next = new URL(url);
  next.searchParams.set(RETRY_MARK, "1");
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === "string" && !CALL_PARAMS.has(key) && !key.startsWith("From") && !key.startsWith("To") && !key.startsWith("Caller") && !key.startsWith("Called")) {
      next.searchParams.set(key, value);
    }
  }
  return next.toString();
}

function carriedParams(query: Fields): Record<string, string> {
  return Object.fromEntries(Object.entries(query).filter((entry): entry is [string, string] => entry[0] !== RETRY_MARK && typeof entry[1] === "string"));
}
