import type { RequestHandler } from "express";
import type { Logger } from "pino";
import { z } from "zod";

/** 400 with the offending field named: Twilio never sends these, so whoever did needs to know what is wrong. */
export class BadWebhook extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`invalid webhook parameter ${field}: ${message}`);
  }
}

export function parseParams<S extends z.ZodType>(schema: S, input: unknown, where: "body" | "query"): z.infer<S> {
  const parsed = schema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.map(String).join(".") || where;
  throw new BadWebhook(field, issue.code === "invalid_type" && issue.input === undefined ? "required" : issue.message);
}

/**
 * A TwiML webhook route. `parse` validates (400 on failure, nothing changed). If `answer` fails for any other
 * reason (Redis down, a bug), the caller still gets `fallback`: TwiML computed from the request alone that
 * moves the call on, because Twilio would otherwise play an application error and drop the caller.
 */
const noQuery = z.object({});

export function twimlRoute<B extends z.ZodType<object>, Q extends z.ZodType<object> = typeof noQuery>(options: {
  log: Logger;
  body: B;
  query?: Q;
  /** `log` is the request's logger: its lines carry the request id. */
  answer: (params: z.infer<B> & z.infer<Q>, log: Logger) => Promise<string>;
  fallback: (params: z.infer<B> & z.infer<Q>) => string;
}): RequestHandler {
  type Params = z.infer<B> & z.infer<Q>;
  return async (req, res) => {
    let params: Params;
    try {
      const body: object = parseParams(options.body, req.body, "body");
      const query: object = parseParams(options.query ?? noQuery, req.query, "query");
      params = { ...body, ...query } as Params;
    } catch (error) {
      if (!(error instanceof BadWebhook)) throw error;
      res.status(400).json({ error: error.message, field: error.field });
      return;
    }
    let twiml: string;
    const log = (req as { log?: Logger }).log ?? options.log;
    try {
      twiml = await options.answer(params, log);
    } catch (error) {
      log.error({ err: error, path: req.path }, "webhook failed; answering with fallback TwiML");
      twiml = options.fallback(params);
    }
    res.type("text/xml").send(twiml);
  };
}
