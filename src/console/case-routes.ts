import { Router, type Response } from "express";
import type { Actor } from "../call/staff.ts";
import { CASE_VERBS, type CaseActionResult, type CaseActions, type CaseVerb } from "./case-actions.ts";
import { html } from "./html.ts";
import { layout } from "./pages.ts";
import { recordAddition } from "./staff/changes.ts";

const DONE: Record<CaseVerb, string> = {
  reply: "Partner reply recorded; the case stays open.",
  reopen: "Case reopened.",
  close: "Case closed.",
  assign: "Owner assigned.",
  notes: "Note added.",
};
/** How a refusal of a form reads: what was not done, then why. */
const NOT_DONE: Partial<Record<CaseVerb, string>> = { assign: "Not assigned: ", notes: "Note not added: " };

/**
 * The case actions of an incident's page (engineers and admins, policy.ts; CSRF and the audit trail's
 * before/after come from the gate in front, changes.ts): record the partner's reply, reopen, close, assign
 * an owner, add a private note. The work is case-actions.ts's, shared with the staff API; here each answers
 * with a redirect back to the page, naming what was done, or the page's error.
 */
export function caseRoutes(deps: { caseActions: CaseActions; incidents: { callSidOf(id: string): Promise<string | null> } }): Router {
  const router = Router();
  const csrf = (res: Response) => String(res.locals.csrf ?? "");
  const refuse = (res: Response, verb: CaseVerb, result: Extract<CaseActionResult, { ok: false }>) =>
    res.status(result.status).type("html").send(layout("Case", html`<p class="error">${NOT_DONE[verb] ?? ""}${result.message}</p>`, { csrf: csrf(res) }));

  for (const verb of CASE_VERBS) {
    router.post(`/incidents/:id/${verb}`, async (req, res) => {
      const id = String(req.params.id);
      const result = await deps.caseActions.perform(verb, id, req.body, res.locals.actor as Actor);
      if (!result.ok) return refuse(res, verb, result);
      if (result.note) recordAddition(res, { note: result.note.note.id, text: result.note.note.text }, result.note.added);
      const callSid = await deps.incidents.callSidOf(id);
      const done = `done=${encodeURIComponent(DONE[verb])}`;
      res.redirect(303, callSid ? `/console/calls/${encodeURIComponent(callSid)}?${done}` : `/console/incidents/${encodeURIComponent(id)}?${done}`);
    });
  }
  return router;
}
