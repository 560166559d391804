import { readFileSync } from "node:fs";
import { DateTime, IANAZone } from "luxon";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { MAX_LEVELS } from "../call/engineers.ts";

/**
 * The schedule file (SCHEDULE_FILE): who is on call at each level, as rotations in named time zones. Staff
 * and drills write it, so its format is fixed (docs/architecture.md, "On-call schedules"); unknown keys are
 * refused and a bad file is reported with the file, the path inside it and the reason.
 */

export const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;
export type Weekday = (typeof WEEKDAYS)[number];
const LONG_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

const timeZone = z.string().refine((zone) => IANAZone.isValidZone(zone), "an IANA time zone such as Europe/London");
const clock = z
  .string({ error: 'a time of day in quotes, e.g. "09:00"' })
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day HH:MM, e.g. "09:00"')
  .transform((value) => ({ hour: Number(value.slice(0, 2)), minute: Number(value.slice(3)) }));
export type Clock = z.output<typeof clock>;

/** 1 (Monday) to 7, as luxon numbers weekdays. */
const weekday = z
  .string()
  .transform((value, ctx) => {
    const short = WEEKDAYS.findIndex((day) => day.toLowerCase() === value.toLowerCase());
    const long = LONG_WEEKDAYS.findIndex((day) => day.toLowerCase() === value.toLowerCase());
    const index = short >= 0 ? short : long;
    if (index < 0) ctx.addIssue({ code: "custom", message: "a weekday: Mon, Tue, Wed, Thu, Fri, Sat or Sun" });
    return index + 1;
  });

const shift = z
  .string({ error: "a shift length: N hours, N days or N weeks" })
  .regex(/^\s*[1-9]\d{0,3}\s+(hour|day|week)s?\s*$/i, "a shift length: N hours, N days or N weeks, e.g. 1 week")
  .transform((value) => {
    const [count, unit] = value.trim().split(/\s+/) as [string, string];
    return { count: Number(count), unit: `${unit.toLowerCase().replace(/s$/, "")}s` as "hours" | "days" | "weeks" };
  });

const date = z
  .string({ error: "a calendar date YYYY-MM-DD" })
  .regex(/^\d{4}-\d{2}-\d{2}$/, "a calendar date YYYY-MM-DD")
  .refine((value) => DateTime.fromISO(value, { zone: "UTC" }).isValid, "a calendar date that exists");

const active = z
  .object({
    days: z.array(weekday).min(1).default([1, 2, 3, 4, 5, 6, 7]),
    from: clock,
    to: clock,
  })
  .strict();

const layerSchema = z
  .object({
    engineers: z.array(z.string().min(1)).min(1, "at least one engineer"),
    shift,
    handover: z.string().optional(),
    start: date,
    timeZone: timeZone.optional(),
    active: active.optional(),
  })
  .strict();

const engineerEntry = z
  .object({
    number: z.string({ error: 'a phone number in quotes, e.g. "+15550001001"' }),
    email: z.email().optional(),
    timeZone: timeZone.optional(),
  })
  .strict();

const fileSchema = z
  .object({
    timeZone: timeZone.default("UTC"),
    engineers: z.record(z.string().min(1), engineerEntry).refine((all) => Object.keys(all).length > 0, "at least one engineer"),
    levels: z
      .array(z.object({ name: z.string().min(1).optional(), layers: z.array(layerSchema).min(1, "at least one layer") }).strict())
      .min(1, "at least one level")
      .max(MAX_LEVELS, `at most ${MAX_LEVELS} levels`),
  })
  .strict();

/** The handover, read by the shift's unit: weekday + time for weeks, time for days, none for hours. */
function handoverOf(value: string | undefined, unit: "hours" | "days" | "weeks", ctx: z.RefinementCtx, path: (string | number)[]) {
  const fail = (message: string) => {
    ctx.addIssue({ code: "custom", path: [...path, "handover"], message });
    return null;
  };
  if (unit === "hours") return value === undefined ? { weekday: null, time: { hour: 0, minute: 0 } } : fail("omitted for shifts of hours (they start at 00:00 on start)");
  if (value === undefined) return fail(unit === "weeks" ? "required: weekday and time, e.g. Monday 09:00" : 'required: a time, e.g. "09:00"');
  const parts = String(value).trim().split(/\s+/);
  const expected = unit === "weeks" ? 2 : 1;
  if (parts.length !== expected) return fail(unit === "weeks" ? "a weekday and a time, e.g. Monday 09:00" : 'a time HH:MM for shifts of days, e.g. "09:00"');
  const time = clock.safeParse(parts[expected - 1]);
  const day = unit === "weeks" ? weekday.safeParse(parts[0]) : null;
  if (!time.success) return fail('a time of day HH:MM, e.g. "09:00"');
  if (day && !day.success) return fail("a weekday: Monday … Sunday (or Mon … Sun)");
  return { weekday: day ? day.data : null, time: time.data };
}

export const scheduleSchema = fileSchema.transform((file, ctx) => {
  const names = new Set(Object.keys(file.engineers));
  const levels = file.levels.map((level, l) => ({
    level: l + 1,
    name: level.name ?? `level ${l + 1}`,
    layers: level.layers.map((layer, i) => {
      const path = ["levels", l, "layers", i];
      layer.engineers.forEach((name, e) => {
        if (!names.has(name)) ctx.addIssue({ code: "custom", path: [...path, "engineers", e], message: `no engineer named ${name} under engineers` });
      });
      const handover = handoverOf(layer.handover, layer.shift.unit, ctx, path) ?? { weekday: null, time: { hour: 0, minute: 0 } };
      return { engineers: layer.engineers, shift: layer.shift, handover, start: layer.start, timeZone: layer.timeZone ?? file.timeZone, active: layer.active ?? null };
    }),
  }));
  return { timeZone: file.timeZone, engineers: file.engineers, levels };
});

export type Schedule = z.output<typeof scheduleSchema>;
export type ScheduleLevel = Schedule["levels"][number];
export type Layer = ScheduleLevel["layers"][number];
export type ScheduleEngineer = Schedule["engineers"][string];

export class ScheduleError extends Error {
  override name = "ScheduleError";
}

/** Parses a schedule; `file` names it in errors, one line per problem: file, path inside it, reason. */
export function parseSchedule(text: string, file: string): Schedule {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ScheduleError(`${file}: cannot read: ${(error as Error).message}`);
  }
  const parsed = scheduleSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${file}: at ${issue.path.length ? issue.path.join(".") : "top level"}: ${issue.message}`);
    throw new ScheduleError(lines.join("\n"));
  }
  return parsed.data;
}

export function loadSchedule(file: string): Schedule {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ScheduleError(`${file}: cannot read: ${(error as Error).message}`);
  }
  return parseSchedule(text, file);
}
