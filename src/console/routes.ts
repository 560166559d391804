import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import express, { Router, type RequestHandler, type Response } from "express";
import helmet from "helmet";
import { ZodError } from "zod";
import type { Redis } from "ioredis";
import type { Config } from "../config.ts";
import type { CaseDesk } from "../followup/cases.ts";
import type { IncidentViews } from "../followup/incident-view.ts";
import type { PagingStatus } from "../followup/paging.ts";
import type { FollowupQueues } from "../followup/queues.ts";
import type { Correspondence } from "../followup/correspondence.ts";
import type { Incidents } from "../incidents/incidents.ts";
import { drillReportSchema, type DrillReports } from "../store/drill-reports.ts";
import type { Journal } from "../store/journal.ts";
import type { OnCall } from "../store/oncall.ts";
import type { Roster } from "../store/roster.ts";
import type { CallSessions } from "../store/sessions.ts";
import type { FollowupState } from "../store/followup-state.ts";
import { CONSOLE_CSS, layout, rosterPage } from "./pages.ts";
import { drillReportPage, drillsPage } from "./drill-pages.ts";
import { caseActions } from "./case-actions.ts";
import { caseRoutes } from "./case-routes.ts";
import { incidentRoutes, type IncidentRoutesDeps } from "./incident-routes.ts";
import { partnerRoutes, type PartnerPageDeps } from "./partner-page.ts";
import { REFRESH_JS } from "./refresh-script.ts";
import { staffConsole } from "./staff/console.ts";
import type { StaffServices } from "./staff/services.ts";
import { oncallConsole } from "./oncall-page.ts";
import { html } from "./html.ts";
import { threadRoutes } from "./mail-pages.ts";

/**
 * bull-board's UI: its own scripts, styles and inline style attributes; nothing from other origins (its
 * page links Google Fonts, which withoutWebFonts removes and this CSP would block anyway).
 */
const queuesHeaders = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      "default-src": ["'self'"],
      "script-src": ["'self'"],
      "style-src": ["'self'", "'unsafe-inline'"],
      "font-src": ["'self'", "data:"],
      "img-src": ["'self'", "data:"],
      "connect-src": ["'self'"],
      "form-action": ["'self'"],
      "frame-ancestors": ["'self'"],
      "base-uri": ["'self'"],
      "object-src": ["'none'"],
    },
  },
});

/** The console must not make staff browsers fetch fonts from the internet: the board's page falls back to local fonts. */
const WEB_FONTS = /<link [^>]*href="https:\/\/fonts\.googleapis\.com\/[^>]*>\s*/g;
const withoutWebFonts: RequestHandler = (_req, res, next) => {
  const render = res.render.bind(res);
  res.render = ((view: string, options?: object) =>
    render(view, options ?? {}, (error: Error | null, page?: string) => (error ? next(error) : res.send(page!.replace(WEB_FONTS, ""))))) as typeof res.render;
  next();
};

const zodMessage = (error: ZodError) => error.issues.map((i) => `${i.path.join(".") || "value"}: ${i.message}`).join("; ");

export interface ConsoleDeps extends IncidentRoutesDeps, PartnerPageDeps {
  /** PUBLIC_BASE_URL too: a drill run that drove this line links its incidents (drill-pages.ts). */
  config: PartnerPageDeps["config"] & Pick<Config, "PUBLIC_BASE_URL">;
  incidents: Incidents;
  views: IncidentViews;
  sessions: CallSessions;
  roster: Roster;
  cases: CaseDesk;
  correspondence: Correspondence;
  journal: Journal;
  queues: FollowupQueues;
  reports: DrillReports;
  redis: Redis;
  followup: FollowupState;
  staff: StaffServices;
  /** Whether a real incident would page anyone now (the dashboard's banner). */
  paging(): Promise<PagingStatus>;
  oncall: OnCall;
  now: () => Date;
}

/** GET /console and its pages. Every page and form needs a person signed in (or a bearer token), with the role it asks. */
export function consoleRoutes(deps: ConsoleDeps): Router {
  const { incidents, roster, reports } = deps;
  const router = Router();
  const staff = staffConsole(deps);

  router.get("/static/console.css", (_req, res) => {
    res.type("text/css").set("Cache-Control", "max-age=300").send(CONSOLE_CSS);
  });
  router.get("/static/refresh.js", (_req, res) => {
    res.type("text/javascript").set("Cache-Control", "max-age=300").send(REFRESH_JS);
  });
  router.use(staff.signIn);

  // Everything below needs staff, with the role the route asks (staff/policy.ts). A browser without a
  // session gets the sign-in form, with 401. Bodies are parsed only once the request is known to come from
  // staff allowed to make it; the drill form's pasted report needs 256 KB.
  router.use(staff.gate(express.urlencoded({ extended: false, limit: "256kb" })));
  router.use(staff.routes);
  const csrf = (res: Response) => String(res.locals.csrf ?? "");
  const back = (res: Response, to: string) => res.redirect(303, to);

  router.use(oncallConsole(deps));

  router.use(incidentRoutes(deps));
  const actions = caseActions(deps);
  router.use(caseRoutes({ caseActions: actions, incidents }));
  router.use(partnerRoutes(deps));

  // An email incident's page and the reply form; a call's incident goes on to its call page below.
  router.use(threadRoutes({ ...deps, caseActions: actions }));

  // A stable link by incident id (pages and emails carry it): the incident's call page.
  router.get("/incidents/:id", async (req, res) => {
    const callSid = await incidents.callSidOf(req.params.id);
    if (!callSid) {
      res.status(404).type("html").send(layout("Not found", html`<h1>No incident ${req.params.id}</h1>`, { csrf: csrf(res) }));
      return;
    }
    back(res, `/console/calls/${encodeURIComponent(callSid)}`);
  });

  router.get("/roster", async (_req, res) => {
    res.type("html").send(rosterPage(await roster.current(), csrf(res), undefined, await roster.source().catch(() => undefined)));
  });
  router.post("/roster", async (req, res) => {
    const rows = [1, 2, 3]
      .map((i) => ({ name: String(req.body?.[`name${i}`] ?? "").trim(), number: String(req.body?.[`number${i}`] ?? "").trim() }))
      .filter((row) => row.number || row.name)
      .map((row) => (row.name ? row : { number: row.number }));
    try {
      await roster.replace(rows);
    } catch (error) {
      if (!(error instanceof ZodError)) throw error;
      res.status(400).type("html").send(rosterPage(await roster.current(), csrf(res), `Not saved: ${zodMessage(error).replace(/^(\d+)\./, (_m, i: string) => `engineer ${Number(i) + 1} `)}`));
      return;
    }
    back(res, "/console/roster");
  });
  router.post("/roster/move-up/:level", async (req, res) => {
    const engineers = await roster.current();
    const problem = moveUpProblem(req.params.level, engineers.length);
    if (problem) {
      // Refused with 400: the audit trail records no move, and the roster is as it was.
      res.status(400).type("html").send(rosterPage(engineers, csrf(res), `Not moved: ${problem}`));
      return;
    }
    await roster.moveUp(Number(req.params.level));
    back(res, "/console/roster");
  });

  // Published runs, and partner drills: the newest drill incidents (those of no run are shown as such).
  const drillsView = async () => {
    const [entries, found] = await Promise.all([reports.entries(), deps.search.page({ drill: "only" }, { limit: 30 })]);
    const views = await Promise.all(found.ids.map((id) => deps.views.get(id)));
    return { reports: entries, partnerDrills: views.filter((v) => v !== null), here: deps.config.PUBLIC_BASE_URL };
  };
  router.get("/drills", async (_req, res) => {
    res.type("html").send(drillsPage(await drillsView(), csrf(res)));
  });
  router.get("/drills/:id/report", async (req, res) => {
    const report = await reports.get(req.params.id);
    if (!report) {
      res.status(404).type("html").send(layout("Not found", html`<h1>No drill report ${req.params.id}</h1><p>Only the newest 50 are kept.</p>`, { csrf: csrf(res) }));
      return;
    }
    res.type("html").send(drillReportPage(req.params.id, report, csrf(res), deps.config.PUBLIC_BASE_URL));
  });
  router.post("/drills", async (req, res) => {
    let parsed;
    try {
      parsed = drillReportSchema.safeParse(JSON.parse(String(req.body?.report ?? "")));
    } catch (error) {
      res.status(400).type("html").send(drillsPage(await drillsView(), csrf(res), `Not JSON: ${(error as Error).message}`));
      return;
    }
    if (!parsed.success) {
      res.status(400).type("html").send(drillsPage(await drillsView(), csrf(res), `Not a drill report: ${zodMessage(parsed.error)}`));
      return;
    }
    await reports.add(parsed.data);
    back(res, "/console/drills");
  });

  const board = new ExpressAdapter();
  board.setBasePath("/console/queues");
  createBullBoard({
    queues: deps.queues.all().map((q) => new BullMQAdapter(q)),
    serverAdapter: board,
    options: { uiConfig: { boardTitle: "Follow-up queues", miscLinks: [{ text: "Back to the console", url: "/console" }] } },
  });
  // Its UI changes queues with PUT/POST/DELETE from axios, which sends the CSRF cookie back as a header:
  // checkCsrf above holds those to the same token as our forms.
  router.use("/queues", queuesHeaders, deps.staff.guard.csrfCookie("/console/queues"), withoutWebFonts, board.getRouter());

  return router;
}

/** Why engineer `raw` cannot move up a roster of `size`, or null: only levels 2..size have someone above them. */
export function moveUpProblem(raw: string, size: number): string | null {
  if (!/^\d+$/.test(raw)) return `"${raw}" is not an engineer's level`;
  const level = Number(raw);
  if (level === 1) return "engineer 1 is first already";
  if (level < 1 || level > size) return `there is no engineer at level ${level}: the roster has ${size} (levels 1 to ${size})`;
  return null;
}
