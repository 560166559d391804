import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import express, { Router, type RequestHandler, type Response } from "express";
import helmet from "helmet";
import { z, ZodError } from "zod";
import type { Redis } from "ioredis";
import type { CallRecord } from "../call/records.ts";
import { CaseError, type CaseDesk } from "../followup/cases.ts";
import type { IncidentView, IncidentViews } from "../followup/incident-view.ts";
import type { PagingStatus } from "../followup/paging.ts";
import type { FollowupQueues } from "../followup/queues.ts";
import type { Incidents } from "../incidents/incidents.ts";
import { drillReportSchema, type DrillReports } from "../store/drill-reports.ts";
import type { Journal } from "../store/journal.ts";
import type { OnCall } from "../store/oncall.ts";
import type { Roster } from "../store/roster.ts";
import type { CallSessions } from "../store/sessions.ts";
import type { ConsoleSession } from "./auth.ts";
import { oncallConsole } from "./oncall-page.ts";
import { callPage, CONSOLE_CSS, dashboardPage, drillFilterSchema, drillsPage, layout, loginPage, rosterPage } from "./pages.ts";
import { html } from "./html.ts";

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

/** `/console?drill=only|exclude|all`: drills alone, real calls alone, or both. */
const dashboardQuery = z.object({ drill: drillFilterSchema.default("all") });

export interface ConsoleDeps {
  incidents: Incidents;
  views: IncidentViews;
  sessions: CallSessions;
  roster: Roster;
  cases: CaseDesk;
  journal: Journal;
  queues: FollowupQueues;
  reports: DrillReports;
  redis: Redis;
  /** Whether a real incident would page anyone now (the dashboard's banner). */
  paging(): Promise<PagingStatus>;
  oncall: OnCall;
  now: () => Date;
}

/** GET /console and its pages. Every page and form needs a staff session (or the bearer token). */
export function consoleRoutes(deps: ConsoleDeps, session: ConsoleSession): Router {
  const { incidents, views, sessions, roster, cases, journal, redis, reports } = deps;
  const router = Router();

  router.get("/static/console.css", (_req, res) => {
    res.type("text/css").set("Cache-Control", "max-age=300").send(CONSOLE_CSS);
  });
  router.get("/login", (_req, res) => {
    res.type("html").send(loginPage());
  });
  // The only body read before anyone has logged in: a token, so a few KB at most.
  router.post("/login", express.urlencoded({ extended: false, limit: "4kb" }), (req, res) => {
    if (session.login(res, String(req.body?.token ?? ""))) return res.redirect(303, "/console");
    res.status(401).type("html").send(loginPage("That token is not right."));
  });

  // Everything below needs staff. A browser without a session gets the login form, with 401. Bodies are
  // parsed only once the request is known to come from staff; the drill form's pasted report needs 256 KB.
  router.use(
    session.require((_req, res) => {
      res.status(401).type("html").send(loginPage());
    }),
    express.urlencoded({ extended: false, limit: "256kb" }),
    session.checkCsrf,
  );
  const csrf = (res: Response) => String(res.locals.csrf ?? "");
  const back = (res: Response, to: string) => res.redirect(303, to);

  router.use(oncallConsole(deps));

  router.post("/logout", (_req, res) => {
    session.logout(res);
    back(res, "/console/login");
  });

  router.get("/", async (req, res) => {
    const query = dashboardQuery.safeParse(req.query);
    if (!query.success) {
      res.status(400).type("html").send(layout("Bad request", html`<p class="error">drill must be only, exclude or all</p>`, { csrf: csrf(res) }));
      return;
    }
    const { drill } = query.data;
    const shown = (isDrill: boolean) => drill === "all" || (drill === "only") === isDrill;
    const lists = async (): Promise<[IncidentView[], CallRecord[]]> => {
      const [list, recent] = await Promise.all([views.list(100), sessions.recent(50)]);
      const calls = await Promise.all(recent.map((sid) => sessions.get(sid)));
      return [list, calls.filter((call): call is CallRecord => call !== null && call.outcome === null)];
    };
    // With Redis away the lists cannot be read, but the page still says so, and what the spool holds.
    const [[list, calls], paging, pausedQueues] = await Promise.all([
      lists().catch((): [IncidentView[], CallRecord[]] => [[], []]),
      deps.paging().catch((): PagingStatus => ({ state: "failing", failed: [] })),
      deps.queues.paused().catch(() => []),
    ]);
    const status = { ...journal.status, redis: redis.status === "ready", paging, pausedQueues };
    res.type("html").send(dashboardPage(list.filter((i) => shown(i.drill)), calls.filter((call) => shown(call.meta.drill)), status, drill, csrf(res)));
  });

  // A stable link by incident id (pages and emails carry it): the incident's call page.
  router.get("/incidents/:id", async (req, res) => {
    const callSid = await incidents.callSidOf(req.params.id);
    if (!callSid) {
      res.status(404).type("html").send(layout("Not found", html`<h1>No incident ${req.params.id}</h1>`, { csrf: csrf(res) }));
      return;
    }
    back(res, `/console/calls/${encodeURIComponent(callSid)}`);
  });

  router.get("/calls/:callSid", async (req, res) => {
    const call = await sessions.get(req.params.callSid);
    const incident = call?.incidentId ? await views.get(call.incidentId) : null;
    if (!incident) {
      res.status(404).type("html").send(layout("Not found", html`<h1>No incident for call ${req.params.callSid} yet</h1>`, { csrf: csrf(res) }));
      return;
    }
    res.type("html").send(callPage(incident, csrf(res), typeof req.query.done === "string" ? req.query.done : undefined));
  });

  for (const action of ["reply", "reopen"] as const) {
    router.post(`/incidents/:id/${action}`, async (req, res) => {
      const id = String(req.params.id);
      try {
        await (action === "reply" ? cases.reply(id) : cases.reopen(id));
      } catch (error) {
        if (!(error instanceof CaseError)) throw error;
        res.status(error.status).type("html").send(layout("Case", html`<p class="error">${error.message}</p>`, { csrf: csrf(res) }));
        return;
      }
      const callSid = await incidents.callSidOf(id);
      back(res, `/console/calls/${callSid}?done=${encodeURIComponent(action === "reply" ? "Partner reply recorded; the case stays open." : "Case reopened.")}`);
    });
  }

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
    const level = Number(req.params.level);
    if (!Number.isInteger(level)) {
      res.status(400).type("html").send(rosterPage(await roster.current(), csrf(res), `Not moved: "${req.params.level}" is not an engineer's level`));
      return;
    }
    await roster.moveUp(level);
    back(res, "/console/roster");
  });

  router.get("/drills", async (_req, res) => {
    res.type("html").send(drillsPage(await reports.list(), csrf(res)));
  });
  router.post("/drills", async (req, res) => {
    let parsed;
    try {
      parsed = drillReportSchema.safeParse(JSON.parse(String(req.body?.report ?? "")));
    } catch (error) {
      res.status(400).type("html").send(drillsPage(await reports.list(), csrf(res), `Not JSON: ${(error as Error).message}`));
      return;
    }
    if (!parsed.success) {
      res.status(400).type("html").send(drillsPage(await reports.list(), csrf(res), `Not a drill report: ${zodMessage(parsed.error)}`));
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
  router.use("/queues", queuesHeaders, session.csrfCookie("/console/queues"), withoutWebFonts, board.getRouter());

  return router;
}
