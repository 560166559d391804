import { Router, type Response } from "express";
import { z } from "zod";
import type { Actor, StaffMember } from "../../call/staff.ts";
import type { StaffGuard } from "../auth.ts";
import { auditFilterSchema, type AuditTrail } from "./audit.ts";
import { accountPage, auditPage, staffPage, type PersonRow } from "./pages.ts";
import type { StaffSessions } from "./sessions.ts";
import type { ApiTokens } from "./tokens.ts";

export interface StaffRouteDeps {
  staff: StaffMember[];
  guard: StaffGuard;
  sessions: StaffSessions;
  tokens: ApiTokens;
  audit: AuditTrail;
}

const label = z.string().trim().min(1, "a label").max(80, "at most 80 characters");
const personEmail = z.string().trim().toLowerCase().min(1, "required");
/** A filter form sends every field, empty ones as "": those filter nothing. */
const withoutEmpty = (query: object) => Object.fromEntries(Object.entries(query).filter(([, value]) => value !== ""));

/**
 * Behind the guard (policy.ts decides who reaches which): signing out, one's own API tokens (/account), the
 * staff list with "sign out everywhere" and token revocation (/staff, admins), and the audit trail (/audit,
 * admins). Each change here writes its own audit entry.
 */
export function staffRoutes({ staff, guard, sessions, tokens, audit }: StaffRouteDeps): Router {
  const router = Router();
  const actorOf = (res: Response) => res.locals.actor as Actor;
  const csrf = (res: Response) => String(res.locals.csrf ?? "");

  router.post("/logout", async (req, res) => {
    const actor = actorOf(res);
    await guard.signOut(req, res);
    if (actor.via === "password" || actor.via === "sso") await audit.record(actor, { action: "auth.sign-out", target: actor.email });
    res.redirect(303, "/console/login");
  });

  router.get("/account", async (_req, res) => {
    const actor = actorOf(res);
    res.type("html").send(accountPage(actor, await tokens.of(actor.email), csrf(res)));
  });
  router.post("/account/tokens", async (req, res) => {
    const actor = actorOf(res);
    if (actor.via !== "password" && actor.via !== "sso") {
      res.status(403).type("text/plain").send("Forbidden: API tokens are issued to people signed in to the console, not to another token");
      return;
    }
    const given = label.safeParse((req.body as { label?: unknown } | undefined)?.label ?? "");
    if (!given.success) {
      res.status(400).type("html").send(accountPage(actor, await tokens.of(actor.email), csrf(res), { error: `Not issued: label: ${given.error.issues[0]!.message}` }));
      return;
    }
    const { token, record } = await tokens.issue({ ...actor, via: actor.via }, given.data);
    await audit.record(actor, { action: "token.issued", target: `${actor.email} token ${record.id}`, after: { id: record.id, label: record.label, role: record.role } });
    // Shown on this answer only (not a redirect to a page that could show it again); never cached.
    res.set("Cache-Control", "no-store").type("html").send(accountPage(actor, await tokens.of(actor.email), csrf(res), { issued: { token, label: record.label } }));
  });
  router.post("/account/tokens/:id/revoke", async (req, res) => {
    const actor = actorOf(res);
    const token = await tokens.get(req.params.id);
    if (!token || token.email !== actor.email) {
      res.status(404).type("text/plain").send(`No token ${req.params.id} of yours`);
      return;
    }
    await revoke(actor, token.id);
    res.redirect(303, "/console/account");
  });

  router.get("/staff", async (req, res) => {
    res.type("html").send(staffPage(await people(), csrf(res), typeof req.query.done === "string" ? req.query.done : undefined));
  });
  router.post("/staff/sign-out-everywhere", async (req, res) => {
    const email = personEmail.safeParse((req.body as { email?: unknown } | undefined)?.email ?? "");
    if (!email.success) {
      res.status(400).type("text/plain").send("Not signed out: email is required");
      return;
    }
    const ended = await sessions.endAllOf(email.data);
    await audit.record(actorOf(res), { action: "auth.sign-out-everywhere", target: email.data, before: { sessions: ended }, after: { sessions: 0 } });
    res.redirect(303, `/console/staff?done=${encodeURIComponent(`${email.data}: ${ended} session(s) ended.`)}`);
  });
  router.post("/staff/tokens/:id/revoke", async (req, res) => {
    const token = await revoke(actorOf(res), req.params.id);
    if (!token) {
      res.status(404).type("text/plain").send(`No token ${req.params.id}`);
      return;
    }
    res.redirect(303, `/console/staff?done=${encodeURIComponent(`Token ${token.label} of ${token.email} revoked.`)}`);
  });

  router.get("/audit", async (req, res) => {
    const filter = auditFilterSchema.safeParse(withoutEmpty(req.query));
    if (!filter.success) {
      const problem = filter.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
      res.status(400).type("html").send(auditPage([], {}, csrf(res), `Not filtered: ${problem}`));
      return;
    }
    res.type("html").send(auditPage(await audit.list(filter.data), filter.data, csrf(res)));
  });

  async function revoke(actor: Actor, id: string) {
    const token = await tokens.revoke(id);
    if (token) await audit.record(actor, { action: "token.revoked", target: `${token.email} token ${token.id}`, before: { id: token.id, label: token.label, role: token.role }, after: null });
    return token;
  }

  async function people(): Promise<PersonRow[]> {
    const emails = [...new Set([...staff.map((m) => m.email), ...(await sessions.people())])].sort();
    return Promise.all(
      emails.map(async (email) => ({ email, member: staff.find((m) => m.email === email) ?? null, sessions: await sessions.of(email), tokens: await tokens.of(email) })),
    );
  }

  return router;
}
