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

