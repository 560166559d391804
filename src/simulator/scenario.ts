import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

const phone = z.string().regex(/^\+[1-9]\d{6,14}$/, "an E.164 phone number such as +15557770001");
const seconds = z.number().min(0).max(3600);
const digits = z.string().regex(/^[0-9#*]+$/, "keys: digits, # or *");

/** What one engineer's phone does when the line dials it. */
export const engineerSchema = z.discriminatedUnion("does", [
  z.object({ does: z.literal("accept"), answerAfter: seconds.default(5), talkFor: seconds.default(120) }).strict(),
  z.object({ does: z.literal("decline"), answerAfter: seconds.default(5), press: digits.default("2") }).strict(),
  // A personal voicemail: answers, plays its greeting over the whisper, never presses a key.
  z.object({ does: z.literal("voicemail"), answerAfter: seconds.default(15) }).strict(),
  z.object({ does: z.literal("no-answer") }).strict(),
  z.object({ does: z.literal("busy") }).strict(),
  z.object({ does: z.literal("failed") }).strict(),
]);
export type EngineerBehaviour = z.infer<typeof engineerSchema>;

export const callerSchema = z
  .object({
    number: phone,
    /** Whether the line under drill lists this number in DRILL_CALLERS (local drills configure it so). */
    drill: z.boolean().default(true),
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
  .strict();
export type CallerBehaviour = z.infer<typeof callerSchema>;

export const expectationSchema = z
  .object({
    outcome: z.enum(["connected", "voicemail", "status-page", "abandoned"]).optional(),
    /** The level (1 to 3) of the engineer the caller ends up talking to. */
    engineer: z.number().int().min(1).max(3).optional(),
    attempts: z.array(z.enum(["accepted", "declined", "not-accepted", "no-answer", "busy", "failed", "canceled"])).optional(),
    incident: z.boolean().default(true),
    drill: z.boolean().optional(),
    mobilised: z.number().int().min(0).optional(),
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
