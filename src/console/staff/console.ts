import type { Queue } from "bullmq";
import type { Request, RequestHandler, Response } from "express";
import type { Actor, Role } from "../../call/staff.ts";
import { auditChanges } from "./changes.ts";
import { forThisRequest } from "./context.ts";
import { forbiddenPage, loginPage } from "./pages.ts";
import { staffRoutes } from "./routes.ts";
import type { StaffServices } from "./services.ts";
import { signInRoutes } from "./sign-in.ts";

export interface StaffConsoleDeps {
  staff: StaffServices;
  roster: { current(): Promise<unknown> };
  followup: { read(incidentId: string): Promise<{ case: unknown }> };
  queues: { all(): Queue[] };
  oncall: { overrides: { list(): Promise<{ id: string }[]> } };
}

/**
 * The console's people, in three parts for consoleRoutes: `signIn` (the login and single sign-on routes,
 * before anyone is known), `gate(bodyParser)` (who is asking, may they, CSRF, and the audit of what they
 * change), and `routes` (sign-out, account, staff and audit pages).
 */
export function staffConsole({ staff, roster, followup, queues, oncall }: StaffConsoleDeps) {
  const { guard } = staff;
  const refuse = (_req: Request, res: Response) => {
    res.status(401).type("html").send(loginPage({ local: staff.members.length > 0, sso: staff.sso !== null }));
  };
  const forbid = (req: Request, res: Response, needed: Role) => {
    const what = req.method === "GET" ? `Opening ${req.originalUrl.split("?")[0]}` : `This change (${req.method} ${req.originalUrl.split("?")[0]})`;
    res.status(403).type("html").send(forbiddenPage(res.locals.actor as Actor, needed, what, String(res.locals.csrf ?? "")));
  };
  return {
    signIn: signInRoutes({ staff: staff.members, guard, audit: staff.audit, redis: staff.redis, keys: staff.keys, sso: staff.sso, secure: staff.secure }),
    gate: (bodyParser: RequestHandler): RequestHandler[] => [
      guard.authenticate("console", refuse),
      guard.authorize("console", forbid),
      bodyParser,
      guard.checkCsrf,
      auditChanges("console", staff.audit, { roster, followup, queues, oncall }),
      forThisRequest,
    ],
    routes: staffRoutes({ staff: staff.members, guard, sessions: staff.sessions, tokens: staff.tokens, audit: staff.audit }),
  };
}

/** The same gate for /api, answering in JSON: bearer tokens only (CONSOLE_TOKEN or a person's), roles, audit. */
export function staffApiGate({ staff, roster, followup, queues, oncall }: StaffConsoleDeps, bodyParser: RequestHandler): RequestHandler[] {
  const { guard } = staff;
  return [
    guard.authenticate("api", (_req, res) => {
      res.status(401).set("WWW-Authenticate", 'Bearer realm="emergency-line"').json({ error: "unauthorized: send Authorization: Bearer <CONSOLE_TOKEN or your API token>" });
    }),
    guard.authorize("api", (req, res, needed) => {
      const actor = res.locals.actor as Actor;
      res.status(403).json({ error: `forbidden: ${req.method} ${req.originalUrl.split("?")[0]} needs the ${needed} role; this token acts as ${actor.email} (${actor.role})`, needed, role: actor.role });
    }),
    bodyParser,
    auditChanges("api", staff.audit, { roster, followup, queues, oncall }),
  ];
}
