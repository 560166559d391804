import { Router, type Response } from "express";
import icalGenerator from "ical-generator";
import { z } from "zod";
import { instantWithOffset, overrideRequestSchema } from "../schedule/override.ts";
import { shiftsOf } from "../schedule/timeline.ts";
import type { OnCall } from "../store/oncall.ts";
import type { Actor } from "../call/staff.ts";

const DAY_MS = 24 * 3_600_000;
const atQuery = z.object({ at: instantWithOffset.optional() });
const icsQuery = z.object({ engineer: z.string({ error: "required: an engineer's name from the schedule" }).min(1, "an engineer's name from the schedule") });

export interface OncallApiDeps {
  oncall: OnCall;
  now: () => Date;
}

function refuse(res: Response, status: number, error: z.ZodError | string): void {
  if (typeof error === "string") {
    res.status(status).json({ error });
    return;
  }
  const issue = error.issues[0]!;
  const field = issue.path.join(".");
  res.status(status).json({ error: `${field || "body"}: ${issue.message}`, field });
}

/**
 * Who made a change: the person (signed in to the console, or with their API token), by email; "api" for
 * CONSOLE_TOKEN, which is automation rather than anyone.
 */
export function changedBy(res: Response): string {
  const actor = res.locals.actor as Actor | undefined;
  return !actor || actor.via === "console-token" ? "api" : actor.email;
}

/**
 * The on-call routes of the staff API (docs/architecture.md, "Routes"): who is on call at an instant,
 * overrides, and each engineer's shifts as iCalendar.
 */
export function oncallApi({ oncall, now }: OncallApiDeps): Router {
  const router = Router();

  router.get("/oncall", async (req, res) => {
    const query = atQuery.safeParse(req.query);
    if (!query.success) return refuse(res, 400, query.error);
    const at = query.data.at ? new Date(query.data.at) : now();
    const { levels } = await oncall.at(at);
    res.json({ at: at.toISOString(), levels: levels.map(({ level, name, engineer, since, until, override }) => ({ level, name, engineer, since, until, override })) });
  });

  router.get("/oncall/overrides", async (_req, res) => {
    res.json({ overrides: await oncall.overrides.list(), changes: await oncall.overrides.changes() });
  });

  router.post("/oncall/overrides", async (req, res) => {
    const parsed = overrideRequestSchema.safeParse(req.body ?? {});
    if (!parsed.success) return refuse(res, 400, parsed.error);
    const problem = await checkAgainstSchedule(oncall, parsed.data);
    if (problem) return refuse(res, 400, problem);
    res.status(201).json(await oncall.overrides.create(parsed.data, changedBy(res)));
  });

  router.delete("/oncall/overrides/:id", async (req, res) => {
    const removed = await oncall.overrides.delete(req.params.id, changedBy(res));
    if (!removed) return refuse(res, 404, `no override ${req.params.id}`);
    res.json({ deleted: removed });
  });

  router.get("/oncall.ics", async (req, res) => {
    const query = icsQuery.safeParse(req.query);
    if (!query.success) return refuse(res, 400, query.error);
    const { schedule, overrides } = await oncall.at(now());
    const name = query.data.engineer;
    if (!schedule.engineers[name]) return refuse(res, 404, `no engineer named ${name} in the schedule`);
    const start = now().getTime();
    const calendar = icalGenerator({ name: `On call: ${name}`, prodId: { company: "emergency-line", product: "oncall" } });
    for (const shift of shiftsOf(schedule, overrides, name, start - 14 * DAY_MS, start + 90 * DAY_MS)) {
      calendar.createEvent({
        id: `${name}-${shift.level}-${shift.from}@emergency-line`,
        start: new Date(shift.from),
        end: new Date(shift.to),
        summary: `On call: ${shift.levelName} (level ${shift.level})${shift.override ? ", override" : ""}`,
      });
    }
    res.type("text/calendar").send(calendar.toString());
  });

  return router;
}

/** An override must name a level the schedule has and an engineer it knows. */
export async function checkAgainstSchedule(oncall: OnCall, request: { level: number; engineer: string }): Promise<string | null> {
  const schedule = await oncall.schedule();
  if (request.level > schedule.levels.length) return `level: the schedule has ${schedule.levels.length} level(s)`;
  if (!schedule.engineers[request.engineer]) return `engineer: no engineer named ${request.engineer} in the schedule (${Object.keys(schedule.engineers).join(", ")})`;
  return null;
}
