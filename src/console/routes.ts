import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import express, { Router, type Response } from "express";
import { ZodError } from "zod";
import type { Redis } from "ioredis";
import type { CallRecord } from "../call/records.ts";
import { CaseError, type CaseDesk } from "../followup/cases.ts";
import type { IncidentView, IncidentViews } from "../followup/incident-view.ts";
import type { FollowupQueues } from "../followup/queues.ts";
import type { Incidents } from "../incidents/incidents.ts";
import { drillReportSchema, type DrillReports } from "../store/drill-reports.ts";
import type { Journal } from "../store/journal.ts";
import type { Roster } from "../store/roster.ts";
import type { CallSessions } from "../store/sessions.ts";
import type { ConsoleSession } from "./auth.ts";
import { callPage, CONSOLE_CSS, dashboardPage, drillsPage, layout, loginPage, rosterPage } from "./pages.ts";
import { html } from "./html.ts";

const zodMessage = (error: ZodError) => error.issues.map((i) => `${i.path.join(".") || "value"}: ${i.message}`).join("; ");

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
}

/** GET /console and its pages. Every page and form needs a staff session (or the bearer token). */
export function consoleRoutes(deps: ConsoleDeps, session: ConsoleSession): Router {
  const { incidents, views, sessions, roster, cases, journal, redis, reports } = deps;
  const router = Router();
  router.use(express.urlencoded({ extended: false, limit: "256kb" }));

  router.get("/static/console.css", (_req, res) => {
    res.type("text/css").set("Cache-Control", "max-age=300").send(CONSOLE_CSS);
  });
  router.get("/login", (_req, res) => {
    res.type("html").send(loginPage());
  });
  router.post("/login", (req, res) => {
    if (session.login(res, String(req.body?.token ?? ""))) return res.redirect(303, "/console");
    res.status(401).type("html").send(loginPage("That token is not right."));
  });

  // Everything below needs staff. A browser without a session gets the login form, with 401.
  router.use(
    session.require((_req, res) => {
      res.status(401).type("html").send(loginPage());
    }),
  );
  const csrf = (res: Response) => String(res.locals.csrf ?? "");
  const back = (res: Response, to: string) => res.redirect(303, to);

  router.post("/logout", (_req, res) => {
    session.logout(res);
    back(res, "/console/login");
  });

  router.get("/", async (_req, res) => {
    const lists = async (): Promise<[IncidentView[], CallRecord[]]> => {
      const [list, recent] = await Promise.all([views.list(100), sessions.recent(50)]);
      const calls = await Promise.all(recent.map((sid) => sessions.get(sid)));
      return [list, calls.filter((call): call is CallRecord => call !== null && call.outcome === null)];
    };
    // With Redis away the lists cannot be read, but the page still says so, and what the spool holds.
    const [list, inProgress] = await lists().catch((): [IncidentView[], CallRecord[]] => [[], []]);
    const redisUp = redis.status === "ready";
    res.type("html").send(dashboardPage(list, inProgress, { ...journal.status, redis: redisUp }, csrf(res)));
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
    res.type("html").send(rosterPage(await roster.current(), csrf(res)));
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
    await roster.moveUp(Number(req.params.level));
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
  createBullBoard({ queues: deps.queues.all().map((q) => new BullMQAdapter(q)), serverAdapter: board });
  router.use("/queues", board.getRouter());

  return router;
}
