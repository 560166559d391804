import { Router, type Response } from "express";
import { z } from "zod";
import type { IncidentViews } from "../followup/incident-view.ts";
import { drillReportSchema, type DrillReports } from "../store/drill-reports.ts";
import type { CallSessions } from "../store/sessions.ts";
import type { Timeline } from "../store/timeline.ts";
import type { Config } from "../config.ts";
import type { Actor } from "../call/staff.ts";
import { oncallApi, type OncallApiDeps } from "./api-oncall.ts";
import { CASE_VERBS, caseActions, type CaseActionDeps, type Refusal } from "./case-actions.ts";
import { recordAddition } from "./staff/changes.ts";

const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) });

/** The staff API (docs/architecture.md, "Routes"): JSON; app.ts puts it behind the bearer check, roles and audit. */
export function staffApi(deps: {
  config: Pick<Config, "DRILL_CALLERS" | "MOBILISE_WEBHOOK_URL" | "MOBILISE_DRILL_WEBHOOK_URL" | "DRILL_SENDERS">;
  sessions: CallSessions;
  timeline: Timeline;
  views: IncidentViews;
  reports: DrillReports;
} & OncallApiDeps &
  CaseActionDeps): Router {
  const { sessions, timeline, views, reports, config } = deps;
  const router = Router();
  router.use(oncallApi(deps));

  router.get("/calls/:callSid", async (req, res) => {
    const call = await sessions.get(req.params.callSid);
    if (!call) {
      res.status(404).json({ error: `no call ${req.params.callSid}` });
      return;
    }
    res.json({
      callSid: call.meta.callSid,
      from: call.meta.from,
      to: call.meta.to,
      partner: call.meta.partner,
      drill: call.meta.drill,
      startedAt: call.meta.startedAt,
      // The call's first webhook left no session: this one was rebuilt from a later webhook's fields.
      reconstructed: call.meta.reconstructed,
      callsInLastDay: call.meta.callsInLastDay,
      groupedWithCall: call.meta.groupedWithCall,
      stage: call.stage,
      outcome: call.outcome,
      incidentId: call.incidentId,
      attempts: call.attempts.map((a) => ({ level: a.level, engineer: a.engineer, result: a.result, dialStatus: a.dialStatus, seconds: a.seconds })),
      acceptedLevel: call.acceptedLevel,
      recording: call.recording,
      transcription: call.transcription,
      callStatus: call.callStatus,
      durationSeconds: call.duration,
      endedAt: call.endedAt,
      timeline: await timeline.read(call.meta.callSid),
    });
  });

  router.get("/incidents", async (req, res) => {
    const query = listQuery.safeParse(req.query);
    if (!query.success) {
      res.status(400).json({ error: `invalid query: ${query.error.issues[0]?.path.join(".")}: ${query.error.issues[0]?.message}` });
      return;
    }
    res.json({ incidents: await views.list(query.data.limit) });
  });

  router.get("/incidents/:id", async (req, res) => {
    const incident = await views.get(req.params.id);
    if (!incident) {
      res.status(404).json({ error: `no incident ${req.params.id}` });
      return;
    }
    res.json(incident);
  });

  // The case actions, as the console's buttons do them (case-actions.ts): `reply` (the partner replied: stop
  // the hold's clock), `reopen`, `close`, `assign` ({ owner }), `notes` ({ text, note? }). Answers the case
  // as it is after the action (a note: the note, 201 when added, 200 when a retry found it stored), or a 4xx
  // naming what is wrong: 400 a bad body, 404 no such incident, 409 a case not in a state for it.
  const actions = caseActions(deps);
  for (const verb of CASE_VERBS) {
    router.post(`/incidents/:id/${verb}`, async (req, res) => {
      const result = await actions.perform(verb, req.params.id, req.body, res.locals.actor as Actor);
      if (!result.ok) {
        refuse(res, result);
        return;
      }
      if (!result.note) {
        res.json({ case: result.case });
        return;
      }
      recordAddition(res, { note: result.note.note.id, text: result.note.note.text }, result.note.added);
      res.status(result.note.added ? 201 : 200).json({ note: result.note.note, added: result.note.added });
    });
  }

  // Our reply to the partner, sent in the incident's mail thread by a job; its send starts the case hold.
  router.post("/incidents/:id/messages", async (req, res) => {
    const result = await actions.sendReply(req.params.id, req.body);
    if (!result.ok) {
      refuse(res, result);
      return;
    }
    // A retry with the same `reply` id answers what the first request queued (added: false), sending nothing
    // more and writing no second audit entry.
    recordAddition(res, { reply: result.message.messageId, text: result.message.text }, result.added);
    res.status(202).json({ message: { sentAt: null, ...result.message }, added: result.added });
  });

  // `drill --target` asks first which callers this line treats as drills: a scenario from any other number
  // would be a real call, paging the real on-call and emailing the partner [URGENT].
  router.get("/drill/preflight", (_req, res) => {
    res.json({
      drillCallers: config.DRILL_CALLERS,
      // Mail from these senders is a drill too: DRILL in every subject, the drill webhook only.
      drillSenders: config.DRILL_SENDERS,
      paging: { real: Boolean(config.MOBILISE_WEBHOOK_URL), drill: Boolean(config.MOBILISE_DRILL_WEBHOOK_URL) },
    });
  });

  // `emergency-line drill --publish URL` posts its report here for the console's drill page.
  router.post("/drill-reports", async (req, res) => {
    const parsed = drillReportSchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      res.status(400).json({ error: `not a drill report: ${issue.path.join(".") || "body"}: ${issue.message}`, field: issue.path.join(".") });
      return;
    }
    await reports.add(parsed.data);
    res.status(201).json({ stored: true });
  });

  return router;
}

/** A refused action as JSON: its status, the error in words, and the body's field at fault when there is one. */
function refuse(res: Response, result: Refusal): void {
  res.status(result.status).json({ error: result.message, ...(result.field === undefined ? {} : { field: result.field }) });
}
