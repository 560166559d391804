import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

const E164 = /^\+[1-9]\d{6,14}$/;
const phone = z.string().regex(E164, "an E.164 phone number such as +15557770001");
/** Twilio sends a withheld caller ID as From "anonymous" (or "unknown" when the network gave none). */
export const WITHHELD = ["anonymous", "unknown"] as const;
export const isE164 = (number: string) => E164.test(number);
const seconds = z.number().min(0).max(3600);
const digits = z.string().regex(/^[0-9#*]+$/, "keys: digits, # or *");

/** Keys pressed at the whisper's first playings before the one that decides, e.g. ["*"] to hear it again. */
const before = z.array(z.string().regex(/^[0-9#*]$/, "one key: a digit, # or *")).max(5).default([]);

/** What one engineer's phone does when the line dials it. */
export const engineerSchema = z.discriminatedUnion("does", [
  z.object({ does: z.literal("accept"), answerAfter: seconds.default(5), talkFor: seconds.default(120), before }).strict(),
  z.object({ does: z.literal("decline"), answerAfter: seconds.default(5), press: digits.default("2"), before }).strict(),
  // A personal voicemail: answers, plays its greeting over the whisper, never presses a key.
  z.object({ does: z.literal("voicemail"), answerAfter: seconds.default(15) }).strict(),
  z.object({ does: z.literal("no-answer") }).strict(),
  z.object({ does: z.literal("busy") }).strict(),
  z.object({ does: z.literal("failed") }).strict(),
]);
export type EngineerBehaviour = z.infer<typeof engineerSchema>;

export const callerSchema = z
  .object({
    /** The caller ID, sent as From exactly: an E.164 number, or a withheld one. */
    number: z.union([phone, z.enum(WITHHELD)]),
    /**
     * Whether the line under drill lists this number in DRILL_CALLERS (local drills configure it so).
     * Default: true for a number; a withheld number cannot be listed, so its call is a real one.
     */
    drill: z.boolean().optional(),
    partner: z.object({ name: z.string().min(1), email: z.email().optional() }).strict().optional(),
    /** Keys pressed at each Gather the caller hears, in order; "" presses nothing. */
    keys: z.array(z.union([digits, z.literal("")])).default([]),
    hangUpAfter: seconds.optional(),
    voicemail: z
      .object({
        seconds: z.number().int().min(1).max(3600),
        says: z.string().default(""),
        /** How the caller ends the recording: the # key or hanging up. */
        endsWith: z.enum(["key", "hangup"]).default("hangup"),
        transcription: z.enum(["completed", "failed"]).default("completed"),
        transcriptionAfter: seconds.default(45),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((caller, context) => {
    if (isE164(caller.number)) return;
    const why = "the line recognises drills and partners by the caller's number, and this one is withheld";
    if (caller.drill) context.addIssue({ code: "custom", path: ["drill"], message: `cannot be true for a withheld number: ${why}` });
    if (caller.partner) context.addIssue({ code: "custom", path: ["partner"], message: `cannot be set for a withheld number: ${why}` });
  })
  .transform((caller) => ({ ...caller, drill: caller.drill ?? isE164(caller.number) }));
export type CallerBehaviour = z.infer<typeof callerSchema>;

export const expectationSchema = z
  .object({
    outcome: z.enum(["connected", "voicemail", "status-page", "abandoned"]).optional(),
    /** The level (1 to 3) of the engineer the caller ends up talking to. */
    engineer: z.number().int().min(1).max(3).optional(),
    attempts: z.array(z.enum(["accepted", "declined", "not-accepted", "no-answer", "busy", "failed", "canceled"])).optional(),
    incident: z.boolean().default(true),
    drill: z.boolean().optional(),
    /** Posts to the mobilisation webhook for the incident; default: 1 with an incident, else 0. */
    mobilised: z.number().int().min(0).optional(),
    /** Follow-up emails for the incident; default: 1 with an incident, else 0. More than expected fails. */
    emails: z.number().int().min(0).optional(),
    email: z.object({ to: z.email().optional(), contains: z.array(z.string()).default([]), subjectContains: z.array(z.string()).default([]) }).strict().optional(),
    contact: z.object({ email: z.email().nullable().optional(), phone: z.string().nullable().optional() }).strict().optional(),
    maxSecondsToHuman: z.number().positive().optional(),
    callerHears: z.array(z.string()).default([]),
  })
  .strict();
export type Expectation = z.infer<typeof expectationSchema>;

export const callSchema = z
  .object({
    caller: callerSchema,
    engineers: z.array(engineerSchema).min(1).max(3),
    expect: expectationSchema,
  })
  .strict();
export type ScenarioCall = z.infer<typeof callSchema>;

export const scenarioSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    /** The public status page during the drill: an unresolved incident's name, or none. */
    statusPage: z.object({ incident: z.string().min(1).nullable() }).strict().default({ incident: null }),
    calls: z.array(callSchema).min(1),
  })
  .strict();
export type Scenario = z.infer<typeof scenarioSchema> & { file: string };

export class ScenarioError extends Error {
  override name = "ScenarioError";
}

/** Parses one scenario file; a bad one is refused with the file, the path inside it and the reason. */
export function loadScenario(file: string): Scenario {
  let raw: unknown;
  try {
    const text = readFileSync(file, "utf8");
    raw = extname(file) === ".json" ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw new ScenarioError(`${file}: cannot read: ${(error as Error).message}`);
  }
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${file}: at ${issue.path.length ? issue.path.join(".") : "top level"}: ${issue.message}`);
    throw new ScenarioError(lines.join("\n"));
  }
  return { ...parsed.data, file };
}

/** Every scenario under the given files or folders; all problems are reported together. */
export function loadScenarios(paths: string[]): Scenario[] {
  const files = paths.flatMap((path) =>
    statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((name) => [".yaml", ".yml", ".json"].includes(extname(name)))
          .sort()
          .map((name) => join(path, name))
      : [path],
  );
  const scenarios: Scenario[] = [];
  const errors: string[] = [];
  for (const file of files) {
    try {
      scenarios.push(loadScenario(file));
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error;
      errors.push(error.message);
    }
  }
  if (errors.length) throw new ScenarioError(errors.join("\n"));
  return scenarios;
}
