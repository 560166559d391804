import { Router, type Response } from "express";
import type { IncidentView, IncidentViews } from "../followup/incident-view.ts";
import { recordAddition } from "./staff/changes.ts";
import { html } from "./html.ts";
import { layout } from "./pages.ts";
import type { CaseNote, CaseNotes } from "../store/case-notes.ts";
import { caseActions, notesSection } from "./call-page.ts";
import { caseSummary, pagedSummary, partnerLink } from "./dashboard.ts";
import { when } from "./format.ts";
import { threadSection } from "./thread.ts";
import type { CaseActions } from "./case-actions.ts";

/** An email incident's console page: its mail, case and timeline (no call, no engineers' legs). */
function mailIncidentPage(incident: IncidentView, extra: { notes: CaseNote[]; staff: { email: string; name: string }[] }, csrf: string, notice?: string): string {
  return layout(
    incident.id,
    html`<h1>${incident.id} <span class="badge">${incident.severity}</span> <span class="badge">email</span>${incident.drill ? html` <span class="badge drill">drill</span>` : ""}${incident.misuse ? html` <span class="badge misuse">misuse: ${incident.misuse.callsInLastDay} in 24 h</span>` : ""}</h1>
${notice ? html`<p class="notice">${notice}</p>` : ""}
<p>Email from <strong>${incident.partner ? html`${partnerLink(incident.partner.name, incident.caller)} (${incident.caller})` : incident.caller}</strong>: “${incident.mail?.subject ?? ""}”, raised ${when(incident.raisedAt)}. Responders paged: ${pagedSummary(incident).text}.</p>
<section id="case"><p class="case-state">Case ${caseSummary(incident)}</p>${caseActions(incident, csrf, extra.staff)}</section>
${notesSection(extra.notes)}
${threadSection(incident, csrf)}
<section><h2>Timeline</h2><ol class="events">${incident.timeline.map((e) => html`<li>${when(e.at)} ${e.text}</li>`)}</ol></section>`,
    { csrf },
  );
}

/** GET /console/incidents/:id for an email incident (calls go on to their call page), and the reply form's POST. */
export function threadRoutes(deps: { views: IncidentViews; caseActions: Pick<CaseActions, "sendReply">; notes: CaseNotes; staff: { members: { email: string; name: string }[] } }): Router {
  const router = Router();
  const csrf = (res: Response) => String(res.locals.csrf ?? "");
  router.get("/incidents/:id", async (req, res, next) => {
    const incident = await deps.views.get(req.params.id);
    if (incident?.channel !== "email") return next();
    const extra = { notes: await deps.notes.list(incident.id), staff: deps.staff.members };
    res.type("html").send(mailIncidentPage(incident, extra, csrf(res), typeof req.query.done === "string" ? req.query.done : undefined));
  });
  router.post("/incidents/:id/messages", async (req, res) => {
    const id = String(req.params.id);
    // The staff API's reply does the same (case-actions.ts): the same checks and the same words.
    const result = await deps.caseActions.sendReply(id, req.body);
    if (!result.ok) {
      res.status(result.status).type("html").send(layout("Reply", html`<p class="error">Not sent: ${result.message}</p>`, { csrf: csrf(res) }));
      return;
    }
    // A resubmitted form (the same reply id) sent nothing more: no second audit entry either.
    recordAddition(res, { reply: result.message.messageId, text: result.message.text }, result.added);
    const incident = await deps.views.get(id);
    const done = encodeURIComponent("Reply queued; it is sent in the thread and the case waits for the partner.");
    res.redirect(303, incident?.callSid ? `/console/calls/${encodeURIComponent(incident.callSid)}?done=${done}` : `/console/incidents/${id}?done=${done}`);
  });
  return router;
}
