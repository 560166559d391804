import { Router, type Response } from "express";
import { z } from "zod";
import type { Actor } from "../call/staff.ts";
import { CaseError, type CaseDesk } from "../followup/cases.ts";
import type { Incidents } from "../incidents/incidents.ts";
import type { CaseNotes } from "../store/case-notes.ts";
import { html } from "./html.ts";
import { layout } from "./pages.ts";

const noteForm = z.object({
  note: z.string().regex(/^[0-9a-f]{16}$/, "the form's note id; reload the page"),
  text: z.string().trim().min(1, "write something").max(10_000, "at most 10000 characters"),
});
const assignForm = z.object({ owner: z.email("a staff member's email") });

const DONE = {
  reply: "Partner reply recorded; the case stays open.",
  reopen: "Case reopened.",
  close: "Case closed.",
  assign: "Owner assigned.",
  notes: "Note added.",
} as const;

/**
 * The case actions of an incident's page (engineers and admins, policy.ts; CSRF and the audit trail's
 * before/after come from the gate in front, changes.ts): record the partner's reply, reopen, close, assign
 * an owner, add a private note. Each answers with a redirect back to the page, naming what was done.
 */
export function caseRoutes(deps: { cases: CaseDesk; incidents: Incidents; notes: CaseNotes; staff: { members: { email: string; name: string }[] }; now: () => Date }): Router {
  const router = Router();
  const csrf = (res: Response) => String(res.locals.csrf ?? "");
  const refuse = (res: Response, status: number, message: string) => res.status(status).type("html").send(layout("Case", html`<p class="error">${message}</p>`, { csrf: csrf(res) }));

  for (const verb of Object.keys(DONE) as (keyof typeof DONE)[]) {
    router.post(`/incidents/:id/${verb}`, async (req, res) => {
      const id = String(req.params.id);
      const actor = res.locals.actor as Actor;
      try {
        if (verb === "reply") await deps.cases.reply(id);
        else if (verb === "reopen") await deps.cases.reopen(id);
        else if (verb === "close") await deps.cases.close(id, actor);
        else if (verb === "assign") {
          const form = assignForm.safeParse(req.body ?? {});
          if (!form.success) return refuse(res, 400, `Not assigned: owner: ${form.error.issues[0]!.message}`);
          const person = [...deps.staff.members, actor].find((p) => p.email === form.data.owner.toLowerCase());
          if (!person) return refuse(res, 400, `Not assigned: owner: ${form.data.owner} is not on the staff`);
          await deps.cases.assign(id, { email: person.email, name: person.name });
        } else {
          const form = noteForm.safeParse(req.body ?? {});
          if (!form.success) return refuse(res, 400, `Note not added: ${form.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
          if (!(await deps.incidents.subjectOf(id))) throw new CaseError(404, `no incident ${id}`);
          await deps.notes.add(id, { id: form.data.note, at: deps.now().toISOString(), by: actor.email, byName: actor.name, text: form.data.text });
        }
      } catch (error) {
        if (!(error instanceof CaseError)) throw error;
        return refuse(res, error.status, error.message);
      }
      const callSid = await deps.incidents.callSidOf(id);
      const done = `done=${encodeURIComponent(DONE[verb])}`;
      res.redirect(303, callSid ? `/console/calls/${encodeURIComponent(callSid)}?${done}` : `/console/incidents/${encodeURIComponent(id)}?${done}`);
    });
  }
  return router;
}
