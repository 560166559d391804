import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, extname, isAbsolute, join } from "node:path";
import { parse as parseYaml, parseAllDocuments } from "yaml";
import { z } from "zod";
import { emailSchema, partId, referenceProblems } from "./email-scenario.ts";

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
    /**
     * Who the line rings, level 1 first, as many as it dials: E.164 numbers, or the names of engineers in
     * the scenario's schedule file. Checked against the numbers the carrier was asked to dial.
     */
    rings: z.array(z.string().min(1)).min(1).max(3).optional(),
    /**
     * Whether the partner gets a drill report by email (subject "[DRILL] Drill report INC-…", not counted in
     * `emails`). Default: true for a drill caller whose partner has an email and a call that raises an incident.
     */
    drillReport: z.boolean().optional(),
  })
  .strict();
export type Expectation = z.infer<typeof expectationSchema>;

export const callSchema = z
  .object({
    /** What an email's `replyTo` or `expect.incident` calls this call. */
    id: partId.optional(),
    caller: callerSchema,
    engineers: z.array(engineerSchema).min(1).max(3),
    expect: expectationSchema,
  })
  .strict()
  .transform((call) => ({
    ...call,
    expect: { ...call.expect, drillReport: call.expect.drillReport ?? (call.caller.drill && Boolean(call.caller.partner?.email) && call.expect.incident) },
  }));
export type ScenarioCall = z.infer<typeof callSchema>;

/** An instant with its offset: a bare local time would leave the drill's moment to the machine's zone. */
const instant = z.iso.datetime({ offset: true, error: "an ISO 8601 instant with an offset, e.g. 2027-03-29T08:59:00+01:00" });

/** An on-call override the drill puts on the line (through its API) before the calls: the format of POST /api/oncall/overrides. */
export const scenarioOverrideSchema = z
  .object({ level: z.number().int().min(1).max(3), engineer: z.string().min(1), from: instant, to: instant })
  .strict()
  .refine((o) => Date.parse(o.to) > Date.parse(o.from), { path: ["to"], message: "must be after from" });
export type ScenarioOverride = z.infer<typeof scenarioOverrideSchema>;

export const scenarioSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    /** The public status page during the drill: an unresolved incident's name, or none. */
    statusPage: z.object({ incident: z.string().min(1).nullable() }).strict().default({ incident: null }),
    /** The instant the calls start: the line's clock runs from it, so a handover can be drilled before it happens. */
    at: instant.optional(),
    /** A schedule file (SCHEDULE_FILE format), relative to the scenario file; without it, the line's fixed roster. */
    schedule: z.string().min(1).optional(),
    overrides: z.array(scenarioOverrideSchema).default([]),
    calls: z.array(callSchema).default([]),
    /** Mail delivered over SMTP to the line's listener, each at its `at:` on the line's clock. */
    emails: z.array(emailSchema).default([]),
  })
  .strict()
  .superRefine((scenario, context) => {
    if (!scenario.calls.length && !scenario.emails.length) context.addIssue({ code: "custom", path: ["calls"], message: "a scenario needs calls, emails or both" });
    for (const problem of referenceProblems(scenario.calls, scenario.emails)) context.addIssue({ code: "custom", ...problem });
  })
  .refine((s) => s.overrides.length === 0 || s.at !== undefined, {
    path: ["overrides"],
    message: "need at: (the instant of the calls): without it the drill's outcome would depend on the day it runs",
  });
/**
 * A scenario as loaded: `schedule` is the file's path from here (resolved against the scenario's folder),
 * and `phoneBook` the schedule's engineers by name (their numbers), for `rings` and the report.
 */
export type Scenario = z.infer<typeof scenarioSchema> & { file: string; phoneBook?: Record<string, string> };

export class ScenarioError extends Error {
  override name = "ScenarioError";
}

const issueLines = (where: string, issues: readonly z.core.$ZodIssue[]) =>
  issues.map((issue) => `${where}: at ${issue.path.length ? issue.path.join(".") : "top level"}: ${issue.message}`);

/** The documents of a scenario file: JSON holds one scenario, YAML one per document (separated by ---). */
function readDocuments(file: string): unknown[] {
  try {
    const text = readFileSync(file, "utf8");
    if (extname(file) === ".json") return [JSON.parse(text)];
    const documents = [...parseAllDocuments(text)];
    const broken = documents.flatMap((doc) => doc.errors);
    if (broken.length) throw broken[0];
    return documents.map((doc) => doc.toJS());
  } catch (error) {
    throw new ScenarioError(`${file}: cannot read: ${(error as Error).message}`);
  }
}

const scheduleEngineers = z.object({ engineers: z.record(z.string(), z.looseObject({ number: z.string() })) });

/**
 * The schedule's engineers by name, read for the names a scenario uses. The line validates the whole file
 * when it starts with it; the simulator stays apart from the line's code and reads only this much.
 */
function phoneBookOf(path: string): Record<string, string> | string {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, "utf8"));
  } catch (error) {
    return `cannot read ${path}: ${(error as Error).message}`;
  }
  const parsed = scheduleEngineers.safeParse(raw);
  if (!parsed.success) return `${path} is not a schedule file: ${parsed.error.issues[0]!.path.join(".") || "top level"}: ${parsed.error.issues[0]!.message}`;
  return Object.fromEntries(Object.entries(parsed.data.engineers).map(([name, engineer]) => [name, engineer.number]));
}

/**
 * Names in `rings` and `overrides` must be the schedule's engineers; without a schedule, only numbers say who
 * rings (an override's name is then checked by the line, against its roster).
 */
function namesProblems(scenario: z.infer<typeof scenarioSchema>, phoneBook: Record<string, string> | undefined): string[] {
  const known = phoneBook ? Object.keys(phoneBook) : [];
  const overrides = phoneBook
    ? scenario.overrides.flatMap((o, index) => (known.includes(o.engineer) ? [] : [`at overrides.${index}.engineer: "${o.engineer}" is not an engineer of the schedule (${known.join(", ")})`]))
    : [];
  const rings = scenario.calls.flatMap((call, index) =>
    (call.expect.rings ?? []).flatMap((who, position) => {
      if (isE164(who) || known.includes(who)) return [];
      const where = `calls.${index}.expect.rings.${position}`;
      return phoneBook
        ? [`at ${where}: "${who}" is neither an E.164 number nor an engineer of the schedule (${known.join(", ")})`]
        : [`at ${where}: "${who}" is not an E.164 number (names need the scenario's schedule:)`];
    }),
  );
  return [...overrides, ...rings];
}

function parseScenario(raw: unknown, file: string, where: string): Scenario {
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) throw new ScenarioError(issueLines(where, parsed.error.issues).join("\n"));
  const scenario = parsed.data;
  const schedule = scenario.schedule && (isAbsolute(scenario.schedule) ? scenario.schedule : join(dirname(file), scenario.schedule));
  const phoneBook = schedule ? phoneBookOf(schedule) : undefined;
  if (typeof phoneBook === "string") throw new ScenarioError(`${where}: at schedule: ${phoneBook}`);
  const problems = namesProblems(scenario, phoneBook);
  if (problems.length) throw new ScenarioError(problems.map((problem) => `${where}: ${problem}`).join("\n"));
  return { ...scenario, ...(schedule && { schedule, phoneBook }), file };
}

/**
 * Parses one scenario file, every scenario in it (a YAML file may hold several, one per document: e.g. the
 * calls either side of a handover, each at its own instant). A bad one is refused with the file, which
 * document when there are several, the path inside it and the reason.
 */
export function loadScenarioFile(file: string): Scenario[] {
  const documents = readDocuments(file);
  if (documents.length === 0) throw new ScenarioError(`${file}: holds no scenario (the file is empty)`);
  const scenarios: Scenario[] = [];
  const errors: string[] = [];
  documents.forEach((raw, index) => {
    try {
      scenarios.push(parseScenario(raw, file, documents.length > 1 ? `${file} (scenario ${index + 1})` : file));
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error;
      errors.push(error.message);
    }
  });
  if (errors.length) throw new ScenarioError(errors.join("\n"));
  return scenarios;
}

/** A file that holds exactly one scenario. */
export function loadScenario(file: string): Scenario {
  const scenarios = loadScenarioFile(file);
  if (scenarios.length !== 1) throw new ScenarioError(`${file}: holds ${scenarios.length} scenarios where one was expected`);
  return scenarios[0]!;
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
      scenarios.push(...loadScenarioFile(file));
    } catch (error) {
      if (!(error instanceof ScenarioError)) throw error;
      errors.push(error.message);
    }
  }
  if (errors.length) throw new ScenarioError(errors.join("\n"));
  return scenarios;
}
