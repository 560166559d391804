import { Router, type Request, type Response } from "express";
import type { Redis } from "ioredis";
import { z } from "zod";
import type { FollowupQueues } from "../followup/queues.ts";
import type { IncidentView, IncidentViews } from "../followup/incident-view.ts";
import type { PagingStatus } from "../followup/paging.ts";
import { cursorSchema, incidentFilterSchema, type Cursor, type IncidentFilter, type IncidentSearch } from "../incidents/incident-search.ts";
import type { CaseNotes } from "../store/case-notes.ts";
import type { Journal } from "../store/journal.ts";
import type { CallSessions } from "../store/sessions.ts";
import type { Timeline } from "../store/timeline.ts";
import { requestLogger } from "../log.ts";
import { callPage } from "./call-page.ts";
import { csvRow } from "./csv.ts";
import { dashboardPage, pagedSummary, type LiveCall } from "./dashboard.ts";
import { html } from "./html.ts";
import { isLive, LIVE_WINDOW_MS, nowOnCall } from "./live.ts";
import { layout } from "./pages.ts";

export interface IncidentRoutesDeps {
  views: IncidentViews;
  search: IncidentSearch;
  sessions: CallSessions;
  timeline: Timeline;
  notes: CaseNotes;
  journal: Journal;
  redis: Redis;
  queues: FollowupQueues;
  paging(): Promise<PagingStatus>;
  staff: { members: { email: string; name: string }[] };
  now: () => Date;
}

/** Empty form fields (an unset select) mean "any": they are left out before the filter is checked. */
const withoutEmpty = (query: Request["query"]) => Object.fromEntries(Object.entries(query).filter(([, value]) => value !== ""));
const dashboardQuery = incidentFilterSchema.extend({ after: cursorSchema.optional() });

/** A 400 naming each bad parameter, or the parsed filter. */
function parseQuery<T extends z.ZodType>(schema: T, req: Request, res: Response): z.infer<T> | null {
  const parsed = schema.safeParse(withoutEmpty(req.query));
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "query"}: ${i.message}`);
  res.status(400).type("html").send(layout("Bad request", html`<h1>Bad request</h1><p class="error">${problems.join("; ")}</p><p><a href="/console">Back to the dashboard</a></p>`, { csrf: String(res.locals.csrf ?? "") }));
  return null;
}

// At most this many calls in progress are shown: more than any outage brings at once.
const LIVE_SHOWN = 1_000;

/** The dashboard, its CSV export, and a call's page (live while the call is on). */
export function incidentRoutes(deps: IncidentRoutesDeps): Router {
  const { views, search, sessions, timeline } = deps;
  const router = Router();
  const csrf = (res: Response) => String(res.locals.csrf ?? "");

  const liveCalls = async (filter: IncidentFilter): Promise<LiveCall[]> => {
    const now = deps.now();
    // Every call in progress (an exact index, docs/architecture.md "Records"), up to a number no outage reaches.
    const calls = (await Promise.all((await sessions.live(LIVE_WINDOW_MS, LIVE_SHOWN, now)).map((sid) => sessions.get(sid)))).filter((c) => c !== null && isLive(c, now));
    const shown = calls.filter((c) => filter.drill === "all" || (filter.drill === "only") === c!.meta.drill);
    return Promise.all(shown.map(async (call) => ({ call: call!, now: nowOnCall(call!, await timeline.read(call!.meta.callSid)) })));
  };

  router.get("/", async (req, res) => {
    const query = parseQuery(dashboardQuery, req, res);
    if (!query) return;
    const { after, ...filter } = query;
    const lists = async () => {
      const page = await search.page(filter, { after: after ?? null, limit: 50 });
      const found = await Promise.all(page.ids.map((id) => views.get(id)));
      return { page, incidents: found.filter((v): v is IncidentView => v !== null), live: await liveCalls(filter) };
    };
    // With Redis away the lists cannot be read, but the page still says so, and what the spool holds.
    const [lists_, paging, pausedQueues] = await Promise.all([
      lists().catch(() => ({ page: { ids: [], next: null, scanned: 0, capped: false }, incidents: [], live: [] })),
      deps.paging().catch((): PagingStatus => ({ state: "failing", failed: [] })),
      deps.queues.paused().catch(() => []),
    ]);
    const status = { ...deps.journal.status, redis: deps.redis.status === "ready", paging, pausedQueues };
    res.type("html").send(dashboardPage({ ...lists_, status, filter, paged: after !== undefined, now: deps.now() }, csrf(res)));
  });

  // Every incident the filter matches, newest first, streamed a page at a time (up to CSV_MAX rows).
  router.get("/incidents.csv", async (req, res) => {
    const filter = parseQuery(incidentFilterSchema, req, res);
    if (!filter) return;
    res.type("text/csv; charset=utf-8").set("Content-Disposition", `attachment; filename="incidents-${deps.now().toISOString().slice(0, 10)}.csv"`);
    res.write(csvRow(CSV_HEAD));
    let after: Cursor | null = null;
    try {
      // Stops when the reader goes away; a failure half-way (Redis lost) cuts the file short rather than
      // answering a 500 after the header, and is logged.
      for (let rows = 0; rows < CSV_MAX && !res.destroyed; ) {
        const page = await search.page(filter, { after, limit: 200, maxScan: 20_000 });
        const found = await Promise.all(page.ids.map((id) => views.get(id)));
        for (const i of found) if (i) res.write(csvRow(csvCells(i)));
        rows += page.ids.length;
        if (!page.next) break;
        after = page.next;
      }
    } catch (err) {
      requestLogger(req)?.error({ err }, "incidents CSV cut short");
    }
    res.end();
  });

  router.get("/calls/:callSid", async (req, res) => {
    const call = await sessions.get(req.params.callSid);
    if (!call) {
      res.status(404).type("html").send(layout("Not found", html`<h1>No call ${req.params.callSid}</h1>`, { csrf: csrf(res) }));
      return;
    }
    const incident = call.incidentId ? await views.get(call.incidentId) : null;
    const [calls, notes] = await Promise.all([incident ? incident.timeline : timeline.read(call.meta.callSid), incident ? deps.notes.list(incident.id) : []]);
    const view = { call, incident, timeline: calls, notes, staff: deps.staff.members, now: deps.now() };
    res.type("html").send(callPage(view, csrf(res), typeof req.query.done === "string" ? req.query.done : undefined));
  });

  return router;
}

const CSV_MAX = 100_000;
const CSV_HEAD = ["incident", "raised_at_utc", "door", "severity", "drill", "outcome", "partner", "caller", "paged", "answered_by", "time_to_human_s", "case_state", "case_closes_at", "case_owner", "misuse_calls_24h"];

function csvCells(i: IncidentView): unknown[] {
  return [
    i.id,
    i.raisedAt,
    i.channel,
    i.severity,
    i.drill ? "drill" : "real",
    i.outcome ?? "",
    i.partner?.name ?? "",
    i.caller,
    pagedSummary(i).text,
    i.engineer ? (i.engineer.name ?? i.engineer.number) : "",
    i.timeToHumanSeconds ?? "",
    i.case.state,
    i.case.closesAt ?? "",
    i.case.owner ?? "",
    i.misuse?.callsInLastDay ?? "",
  ];
}
