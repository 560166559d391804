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
  // What was sent, read from the input itself: zod reports a coerced value (NaN), or none at all.
  const sent = issue.path.reduce<unknown>((value, key) => (typeof value === "object" && value !== null ? (value as Record<PropertyKey, unknown>)[key] : undefined), input);
  throw new BadWebhook(field, problem(issue, sent, fieldSchema(schema, issue.path)));
}

/** The schema of the field at `path`, through .optional(). */
function fieldSchema(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let field: z.ZodType | undefined = schema;
  for (const key of path) field = field instanceof z.ZodObject ? (field.shape as Record<PropertyKey, z.ZodType>)[key] : undefined;
  while (field instanceof z.ZodOptional) field = field.unwrap() as z.ZodType;
  return field;
}

/** "required" only when the field is absent; otherwise what was expected of it. */
function problem(issue: z.core.$ZodIssue, sent: unknown, field: z.ZodType | undefined): string {
  if (sent === undefined) return "required";
  // Repeated in the query or form (level=1&level=2) arrives as a list.
  if (Array.isArray(sent)) return `expected one value, got ${sent.length}`;
  switch (issue.code) {
    case "invalid_type":
      if (issue.expected === "number" || issue.expected === "int") return field instanceof z.ZodNumber && field.isInt ? "expected a whole number" : "expected a number";
      return `expected ${issue.expected}`;
    case "invalid_format":
      // Our patterns are named by their message ("a CA SID"); zod's own formats by their name.
      if (issue.format === "regex") return `expected ${issue.message}`;
      return `expected ${issue.format === "url" ? "a URL" : issue.format}`;
    case "invalid_value":
      return `expected one of ${issue.values.map(String).join(", ")}`;
    case "too_small":
      return issue.origin === "string" && Number(issue.minimum) === 1 ? "must not be empty" : `expected at least ${String(issue.minimum)}`;
    case "too_big":
      return `expected at most ${String(issue.maximum)}`;
    default:
      return issue.message;
  }
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
