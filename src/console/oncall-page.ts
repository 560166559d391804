import { Router, type Response } from "express";
import { DateTime } from "luxon";
import { overrideRequestSchema, type Override } from "../schedule/override.ts";
import type { ResolvedLevel } from "../schedule/resolve.ts";
import type { Schedule } from "../schedule/schema.ts";
import { levelTimelines } from "../schedule/timeline.ts";
import { scheduleWarnings } from "../schedule/warnings.ts";
import type { OnCall } from "../store/oncall.ts";
import { changedBy, checkAgainstSchedule } from "./api-oncall.ts";
import { utcText, when } from "./format.ts";
import { html, type Html } from "./html.ts";
import { layout } from "./pages.ts";
import { can } from "./staff/context.ts";

const DAY_MS = 24 * 3_600_000;
const DAYS_SHOWN = 14;
const PALETTE = ["#3c9a5f", "#5a7fd0", "#b59ad6", "#e0a030", "#7f9cc9", "#4fb3a9", "#c98a5a", "#8aa84b"];

/**
 * One level's two weeks as an SVG bar: a rectangle per stretch, coloured by engineer, overrides outlined and
 * labelled, nobody in red; a tick per midnight and a line at now. Attributes only, no script: CSP-clean.
 */
export function levelBar(schedule: Schedule, pieces: ReturnType<typeof levelTimelines>[number]["pieces"], from: number, now: number): Html {
  const WIDTH = 1000;
  const x = (ms: number) => (((ms - from) / (DAYS_SHOWN * DAY_MS)) * WIDTH).toFixed(1);
  const names = Object.keys(schedule.engineers);
  const rects = pieces.map((piece) => {
    const width = Math.max(((piece.to - piece.from) / (DAYS_SHOWN * DAY_MS)) * WIDTH - 1, 0.5).toFixed(1);
    const fill = piece.engineer === null ? "#d0675a" : PALETTE[names.indexOf(piece.engineer) % PALETTE.length];
    const label = `${piece.engineer ?? "nobody"}${piece.override ? " (override)" : ""}: ${utcText(piece.from)} to ${utcText(piece.to)}`;
    const kind = piece.override ? "override" : piece.engineer === null ? "nobody" : "layer";
    return html`<g class="shift shift-${kind}"><rect x="${x(piece.from)}" y="${piece.override ? 2 : 6}" width="${width}" height="${piece.override ? 36 : 28}" fill="${fill}"${piece.override ? html` stroke="#222" stroke-width="2" stroke-dasharray="4 2"` : ""}><title>${label}</title></rect>${Number(width) > 40 ? html`<text x="${(Number(x(piece.from)) + 3).toFixed(1)}" y="25">${piece.engineer ?? "nobody"}${piece.override ? " ✎" : ""}</text>` : ""}</g>`;
  });
  const ticks = Array.from({ length: DAYS_SHOWN + 1 }, (_, day) => {
    const midnight = DateTime.fromMillis(from, { zone: "utc" }).plus({ days: day }).toMillis();
    return html`<line x1="${x(midnight)}" y1="0" x2="${x(midnight)}" y2="44" stroke="#999" stroke-width="0.5"/><text x="${x(midnight)}" y="56" font-size="10">${DateTime.fromMillis(midnight, { zone: "utc" }).toFormat("ccc d")}</text>`;
  });
  return html`<svg class="oncall-bar" viewBox="0 0 ${WIDTH} 60" width="100%" height="60" preserveAspectRatio="xMinYMin meet" role="img" aria-label="two weeks of on-call">${rects}${ticks}<line class="now" x1="${x(now)}" y1="0" x2="${x(now)}" y2="44" stroke="#000" stroke-width="2"/></svg>`;
}

export interface OncallView {
  mode: "schedule" | "engineers";
  schedule: Schedule;
  overrides: Override[];
  levels: ResolvedLevel[];
  now: number;
  warnings: string[];
}

export function oncallPage(view: OncallView, csrf: string, message?: { error?: string; done?: string }): string {
  const zone = view.schedule.timeZone;
  // Times as on every console page (format.ts): UTC, the reader's local time on hover; days are UTC days.
  // Only the override form takes times in the schedule's zone, as its labels say.
  const from = DateTime.fromMillis(view.now, { zone: "utc" }).startOf("day").toMillis();
  const timelines = levelTimelines(view.schedule, view.overrides, from, from + DAYS_SHOWN * DAY_MS);
  const rows = view.levels.map(
    (l) =>
      html`<tr class="oncall-level"><td>${l.level}</td><td>${l.name}</td><td class="oncall-engineer">${l.engineer ? `${l.engineer.name} (${l.engineer.number})` : "nobody: the level is skipped"}${l.override ? html` <span class="badge">override</span>` : ""}</td><td>${when(l.since)}</td><td>${when(l.until)}</td></tr>`,
  );
  const bars = timelines.map((t) => html`<h3>Level ${t.level}: ${t.name}</h3>${levelBar(view.schedule, t.pieces, from, view.now)}`);
  const overrides = view.overrides
    .filter((o) => Date.parse(o.to) > view.now)
    .map(
      (o) =>
        html`<tr><td>${o.level}</td><td>${o.engineer}</td><td>${when(o.from)}</td><td>${when(o.to)}</td><td>${o.createdBy}, ${when(o.createdAt)}</td>
<td>${can("engineer") ? html`<form method="post" action="/console/oncall/overrides/${o.id}/delete" class="inline"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit" aria-label="delete override ${o.id}">Delete</button></form>` : ""}</td></tr>`,
    );
  const levelOptions = view.schedule.levels.map((l) => html`<option value="${l.level}">${l.level}: ${l.name}</option>`);
  const engineerOptions = Object.keys(view.schedule.engineers).map((name) => html`<option>${name}</option>`);
  return layout(
    "On call",
    html`<h1>On call now</h1>
<p>${view.mode === "schedule" ? "From the schedule file (SCHEDULE_FILE), with overrides." : html`From the roster (ENGINEERS, edited on the <a href="/console/roster">roster page</a>), with overrides.`} Times in UTC (hover for your local time); the schedule's zone is ${zone}, in which the override form takes its times.</p>
${message?.error ? html`<p class="error">${message.error}</p>` : ""}${message?.done ? html`<p class="notice">${message.done}</p>` : ""}
${view.warnings.length ? html`<section class="warnings"><h2>Warnings</h2><ul>${view.warnings.map((w) => html`<li>${w}</li>`)}</ul></section>` : ""}
<table><thead><tr><th>Level</th><th>Name</th><th>Engineer</th><th>Since</th><th>Until</th></tr></thead><tbody>${rows}</tbody></table>
<h2>The next two weeks</h2>${bars}
<h2>Overrides</h2>
<table><thead><tr><th>Level</th><th>Engineer</th><th>From</th><th>To</th><th>Made by</th><th></th></tr></thead><tbody>${overrides}</tbody></table>
${can("engineer")
      ? html`<form method="post" action="/console/oncall/overrides" class="override-form"><input type="hidden" name="_csrf" value="${csrf}">
<label>Level <select name="level">${levelOptions}</select></label> <label>Engineer <select name="engineer">${engineerOptions}</select></label>
<label>From (${zone}) <input type="datetime-local" name="from" required></label> <label>To (${zone}) <input type="datetime-local" name="to" required></label>
<button type="submit">Add override</button></form>`
      : ""}`,
    { csrf },
  );
}

/** A console form's local date-time, read in the schedule's zone, as an instant with its offset. */
function fromForm(value: unknown, zone: string): string {
  const local = DateTime.fromISO(String(value ?? ""), { zone });
  return local.isValid ? local.toISO({ suppressMilliseconds: true })! : String(value ?? "");
}

/** GET /console/oncall and its override forms; with a schedule file, the roster page shows the schedule. */
export function oncallConsole({ oncall, now }: { oncall: OnCall; now: () => Date }): Router {
  const router = Router();
  const csrf = (res: Response) => String(res.locals.csrf ?? "");
  const view = async (): Promise<OncallView> => {
    const at = now();
    const { schedule, overrides, levels } = await oncall.at(at);
    return { mode: oncall.file ? "schedule" : "engineers", schedule, overrides, levels, now: at.getTime(), warnings: scheduleWarnings(schedule, overrides, at.getTime()) };
  };

  router.get("/oncall", async (req, res) => {
    res.type("html").send(oncallPage(await view(), csrf(res), { done: typeof req.query.done === "string" ? req.query.done : undefined }));
  });
  router.post("/oncall/overrides", async (req, res) => {
    const zone = (await oncall.schedule()).timeZone;
    const body = { level: String(req.body?.level ?? ""), engineer: String(req.body?.engineer ?? ""), from: fromForm(req.body?.from, zone), to: fromForm(req.body?.to, zone) };
    const parsed = overrideRequestSchema.safeParse(body);
    const problem = parsed.success ? await checkAgainstSchedule(oncall, parsed.data) : `${parsed.error.issues[0]!.path.join(".")}: ${parsed.error.issues[0]!.message}`;
    if (problem || !parsed.success) {
      res.status(400).type("html").send(oncallPage(await view(), csrf(res), { error: `Not saved: ${problem}` }));
      return;
    }
    await oncall.overrides.create(parsed.data, changedBy(res));
    res.redirect(303, `/console/oncall?done=${encodeURIComponent("Override added.")}`);
  });
  router.post("/oncall/overrides/:id/delete", async (req, res) => {
    const removed = await oncall.overrides.delete(req.params.id, changedBy(res));
    res.redirect(303, `/console/oncall?done=${encodeURIComponent(removed ? "Override deleted." : "That override was already gone.")}`);
  });

  // The roster is the ENGINEERS-mode editor; with a schedule file it would edit nothing the line reads.
  router.get("/roster", (_req, res, next) => (oncall.file ? res.redirect(303, "/console/oncall") : next()));
  router.post("/roster{/*rest}", (_req, res, next) => {
    if (!oncall.file) return next();
    res.status(409).type("html").send(layout("Roster", html`<p class="error">The on-call order comes from the schedule file (SCHEDULE_FILE): change it there, or add an override on the <a href="/console/oncall">on-call page</a>.</p>`));
  });
  return router;
}
