import { createHash } from "node:crypto";
import { z } from "zod";
import type { ThreadMessage } from "../call/mail.ts";
import type { Actor } from "../call/staff.ts";
import { CaseError, type CaseDesk } from "../followup/cases.ts";
import type { Correspondence } from "../followup/correspondence.ts";
import type { Incidents } from "../incidents/incidents.ts";
import type { CaseNote, CaseNotes } from "../store/case-notes.ts";
import type { CaseState } from "../store/followup-state.ts";

/**
 * The case actions, once, for both doors (docs/architecture.md, "Routes"): the console's forms
 * (case-routes.ts) and the staff API's JSON (api.ts). Each validates its body with zod, acts through the
 * CaseDesk or the notes, and answers what happened or why not, in words both doors show as they are. The
 * audit trail's who/before/after is written by the gate in front of both (staff/changes.ts), from the same
 * case record, so an action reads the same in the trail whichever door it came through.
 */
export const CASE_VERBS = ["reply", "reopen", "close", "assign", "notes"] as const;
export type CaseVerb = (typeof CASE_VERBS)[number];

export const assignBodySchema = z.object({ owner: z.email("a staff member's email") });
/**
 * `note` is the id the note is stored under: a retried request (or a resubmitted form) with the same id adds
 * it once. The console's form carries a fresh one; an API client may send its own, and without one the note
 * is keyed by who wrote it and what it says, so a retried call adds it once too.
 */
export const noteBodySchema = z.object({
  note: z.string().regex(/^[0-9a-f]{16}$/, "the form's note id (16 hex digits); reload the page").optional(),
  text: z.string({ error: "required: the note's text" }).trim().min(1, "write something").max(10_000, "at most 10000 characters"),
});

/**
 * Our reply to the partner (POST …/messages), sent in the incident's mail thread. `reply`, like a note's
 * id, makes a retried request (or a resubmitted form) send it once: the console's form carries a fresh one,
 * an API client may send its own. Without one each request is a new reply (the same words may be meant twice).
 */
export const staffMessageSchema = z.object({
  reply: z.string().regex(/^[0-9a-f]{16}$/, "the form's reply id (16 hex digits); reload the page").optional(),
  text: z.string({ error: "required: the reply's text" }).trim().min(1, "write something").max(20_000, "at most 20000 characters"),
});

/** Why an action was refused, in words both doors show as they are; `field` names the body's field at fault. */
export type Refusal = { ok: false; status: 400 | 404 | 409; message: string; field?: string };
export type CaseActionResult = { ok: true; case: CaseState | null; note?: { note: CaseNote; added: boolean } } | Refusal;

export interface CaseActionDeps {
  cases: CaseDesk;
  correspondence: Correspondence;
  incidents: Incidents;
  notes: CaseNotes;
  staff: { members: { email: string; name: string }[] };
  now: () => Date;
}

const refused = (status: 400 | 404 | 409, message: string, field?: string): Refusal => ({ ok: false, status, message, ...(field === undefined ? {} : { field }) });

function invalid(error: z.ZodError): Refusal {
  const issue = error.issues[0]!;
  const field = issue.path.join(".");
  return refused(400, error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "), field);
}

export function caseActions(deps: CaseActionDeps) {
  async function act(verb: CaseVerb, id: string, body: unknown, actor: Actor): Promise<CaseActionResult> {
    switch (verb) {
      case "reply":
        return { ok: true, case: await deps.cases.reply(id) };
      case "reopen":
        return { ok: true, case: await deps.cases.reopen(id) };
      case "close":
        return { ok: true, case: await deps.cases.close(id, actor) };
      case "assign": {
        const parsed = assignBodySchema.safeParse(body ?? {});
        if (!parsed.success) return invalid(parsed.error);
        // The owner is someone on the staff (STAFF_FILE), or the person assigning (who may have signed in by SSO).
        const person = [...deps.staff.members, actor].find((p) => p.email === parsed.data.owner.toLowerCase());
        if (!person) return refused(400, `owner: ${parsed.data.owner} is not on the staff`, "owner");
        return { ok: true, case: await deps.cases.assign(id, { email: person.email, name: person.name }) };
      }
      case "notes": {
        const parsed = noteBodySchema.safeParse(body ?? {});
        if (!parsed.success) return invalid(parsed.error);
        if (!(await deps.incidents.subjectOf(id))) return refused(404, `no incident ${id}`);
        const noteId = parsed.data.note ?? createHash("sha256").update(`${id}\n${actor.email}\n${parsed.data.text}`).digest("hex").slice(0, 16);
        const note: CaseNote = { id: noteId, at: deps.now().toISOString(), by: actor.email, byName: actor.name, text: parsed.data.text };
        const added = await deps.notes.add(id, note);
        const stored = added ? note : ((await deps.notes.list(id)).find((n) => n.id === noteId) ?? note);
        return { ok: true, case: null, note: { note: stored, added } };
      }
    }
  }

  return {
    /**
     * Queues our reply to the partner in the thread (a job sends it; its send starts the case hold). 409 when
     * there is nobody to write to.
     */
    async sendReply(id: string, body: unknown): Promise<{ ok: true; message: ThreadMessage; added: boolean } | Refusal> {
      const parsed = staffMessageSchema.safeParse(body ?? {});
      if (!parsed.success) return invalid(parsed.error);
      try {
        return { ok: true, ...(await deps.correspondence.staffReply(id, parsed.data.text, parsed.data.reply)) };
      } catch (error) {
        if (!(error instanceof CaseError)) throw error;
        return refused(error.status, error.message);
      }
    },
    /** Does `verb` on incident `id` as `actor`; a refusal (bad body, no such incident, wrong state) changes nothing. */
    async perform(verb: CaseVerb, id: string, body: unknown, actor: Actor): Promise<CaseActionResult> {
      try {
        return await act(verb, id, body, actor);
      } catch (error) {
        if (!(error instanceof CaseError)) throw error;
        return refused(error.status, error.message);
      }
    },
  };
}
export type CaseActions = ReturnType<typeof caseActions>;
