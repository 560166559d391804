import { z } from "zod";

/**
 * The `emails:` of a drill scenario (docs/architecture.md, "Scenario format"): mail the simulator delivers
 * over SMTP to the line's listener, like an MTA, each at its moment on the line's clock, and what the line
 * must have done about each.
 */

const UNITS: Record<string, number> = { d: 86_400, h: 3600, m: 60, s: 1 };
const DURATION = /^(?:(\d+(?:\.\d+)?)d)?\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s)?$/;
// A month: far enough for any hold the line is configured with, near enough to catch a slipped digit.
const MAX_SECONDS = 31 * 86_400;

/** "73h", "1h30m", "90s", "2d", or a number of seconds: virtual seconds after the scenario's start. */
export function parseDuration(text: string): number | null {
  const match = DURATION.exec(text.trim());
  if (!match || !text.trim() || !match.slice(1).some(Boolean)) return null;
  return ["d", "h", "m", "s"].reduce((sum, unit, i) => sum + Number(match[i + 1] ?? 0) * UNITS[unit]!, 0);
}

export const virtualSeconds = z
  .union([z.number(), z.string()])
  .transform((value, context) => {
    const seconds = typeof value === "number" ? value : parseDuration(value);
    if (seconds === null || !Number.isFinite(seconds) || seconds < 0 || seconds > MAX_SECONDS) {
      context.addIssue({ code: "custom", message: `seconds after the scenario's start (0 to ${MAX_SECONDS}), or a duration such as "73h", "1h30m", "90s"` });
      return z.NEVER;
    }
    return seconds;
  });

/** An id a `replyTo` or an `incident` expectation names: a call's or an email's of the same scenario. */
export const partId = z.string().regex(/^[A-Za-z][\w-]{0,39}$/, "an id: a letter, then letters, digits, - or _ (up to 40)");

// RFC 5322 field names; the ones the simulator writes itself cannot be overridden from a scenario.
const OWN_HEADERS = ["from", "to", "subject", "message-id", "in-reply-to", "references", "date"];
// Checked per entry (not as the record's key schema, whose message zod replaces with "Invalid key in record").
const headers = z.record(z.string(), z.string()).superRefine((record, context) => {
  for (const name of Object.keys(record)) {
    if (!/^[!-9;-~]+$/.test(name)) context.addIssue({ code: "custom", path: [name], message: "a header name (printable ASCII, no colon or space)" });
    else if (OWN_HEADERS.includes(name.toLowerCase())) context.addIssue({ code: "custom", path: [name], message: `set by the simulator: ${OWN_HEADERS.join(", ")} (use from, subject, replyTo)` });
  }
});

export const caseStates = ["open", "awaiting-reply", "partner-replied", "closed"] as const;

export const emailExpectationSchema = z
  .object({
    /** 1 or 3: the severity of the incident the mail raised or joined. */
    severity: z.union([z.literal(1), z.literal(3)]).optional(),
    /**
     * Pages for the incident the mail raised or joined (all of them, the call's included). Default: 1 for
     * a SEV1 the mail raised, 0 for a SEV3 or no incident; more than expected fails.
     */
    mobilised: z.number().int().min(0).optional(),
    /**
     * An acknowledgement went back to the sender, in the thread of this mail (In-Reply-To its Message-ID);
     * `{ contains: [...] }` also names what it must say. false: nothing went back. Never more than one.
     */
    acknowledged: z.union([z.boolean(), z.object({ contains: z.array(z.string().min(1)).min(1) }).strict()]).optional(),
    /** The incident's case state once the line has acted (the names of src/store/followup-state.ts). */
    caseState: z.enum(caseStates).optional(),
    /** x-trace-id values the incident must show. */
    traceIds: z.array(z.string().min(1)).default([]),
    /**
     * Which incident the mail ends on: true a new or joined one (the default), false none (automatic mail),
     * or the id of a call or email of this scenario whose incident it must join.
     */
    incident: z.union([z.boolean(), partId]).default(true),
    /**
     * The incident the mail replies to, just before it is delivered (after the clock moved to `at:`): e.g.
     * a hold run out: `{ caseState: closed, closingSent: true }`. Needs replyTo.
     */
    before: z.object({ caseState: z.enum(caseStates).optional(), closingSent: z.boolean().optional() }).strict().optional(),
  })
  .strict();
export type EmailExpectation = z.infer<typeof emailExpectationSchema>;

export const emailSchema = z
  .object({
    id: partId.optional(),
    from: z.email("an email address such as it@globex.example"),
    /** Listed in DRILL_SENDERS on the local drill line (the default); false makes it a real mail. */
    drill: z.boolean().default(true),
    subject: z.string(),
    body: z.string(),
    /** A call's id: a reply to the follow-up email of its incident; an email's id: a reply to its acknowledgement. */
    replyTo: partId.optional(),
    /** When it is delivered, on the line's clock: virtual seconds (or a duration) after the scenario's start. */
    at: virtualSeconds.default(0),
    headers: headers.default({}),
    expect: emailExpectationSchema.default({ traceIds: [], incident: true }),
  })
  .strict()
  .refine((email) => email.expect.before === undefined || email.replyTo !== undefined, {
    path: ["expect", "before"],
    message: "needs replyTo: it is the state of the incident the mail replies to",
  });
export type ScenarioEmail = z.infer<typeof emailSchema>;

/**
 * References between the parts of a scenario: ids unique, a `replyTo` naming a call or an earlier email
 * (one the line has answered by then), an `incident` naming a call or email of the scenario.
 */
export function referenceProblems(calls: readonly { id?: string | undefined }[], emails: readonly ScenarioEmail[]): { path: (string | number)[]; message: string }[] {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const seen = new Map<string, string>();
  const claim = (id: string | undefined, where: (string | number)[]) => {
    if (id === undefined) return;
    const other = seen.get(id);
    if (other) problems.push({ path: [...where, "id"], message: `"${id}" is already the id of ${other}` });
    else seen.set(id, where.join("."));
  };
  calls.forEach((call, i) => claim(call.id, ["calls", i]));
  emails.forEach((email, i) => claim(email.id, ["emails", i]));
  const calledIds = new Set(calls.flatMap((c) => (c.id ? [c.id] : [])));
  const known = () => [...seen.keys()].join(", ") || "none has an id";
  emails.forEach((email, i) => {
    if (email.replyTo !== undefined) {
      const target = emails.findIndex((e) => e.id === email.replyTo);
      if (calledIds.has(email.replyTo)) {
        // A call's follow-up is what the mail answers.
      } else if (target === -1) {
        problems.push({ path: ["emails", i, "replyTo"], message: `"${email.replyTo}" is no call or email of this scenario (ids: ${known()})` });
      } else if (target === i) {
        problems.push({ path: ["emails", i, "replyTo"], message: "an email cannot reply to itself" });
      } else if (emails[target]!.at > email.at || (emails[target]!.at === email.at && target > i)) {
        problems.push({ path: ["emails", i, "replyTo"], message: `"${email.replyTo}" is delivered after this email: a reply needs the line's acknowledgement of it first` });
      }
    }
    const joins = email.expect.incident;
    if (typeof joins === "string" && !seen.has(joins)) problems.push({ path: ["emails", i, "expect", "incident"], message: `"${joins}" is no call or email of this scenario (ids: ${known()})` });
  });
  return problems;
}
