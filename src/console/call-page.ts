import { randomBytes } from "node:crypto";
import type { CallRecord } from "../call/records.ts";
import type { TimelineEvent } from "../call/timeline-events.ts";
import type { IncidentView } from "../followup/incident-view.ts";
import type { FollowUpContact } from "../incidents/contact.ts";
import type { CaseNote } from "../store/case-notes.ts";
import { caseSummary, pagedSummary, partnerLink } from "./dashboard.ts";
import { duration, elapsed, telLink, when } from "./format.ts";
import { html, type Html } from "./html.ts";
import { isLive, NOW_WORDS, nowOnCall } from "./live.ts";
import { layout } from "./pages.ts";
import { can, signedIn } from "./staff/context.ts";
import { threadSection } from "./thread.ts";
import { timelineBar, timelineSegments } from "./timeline-bar.ts";

export interface CallPageView {
  call: CallRecord;
  /** Null while the call is still on the line and has no incident yet. */
  incident: IncidentView | null;
  timeline: TimelineEvent[];
  notes: CaseNote[];
  /** Whom a case can be assigned to: STAFF_FILE's people (the reader is offered too). */
  staff: { email: string; name: string }[];
  now: Date;
}

/** What is happening on the call now; refreshed in place by refresh.js while the call is on. */
function liveSection({ call, timeline, now }: CallPageView): Html {
  if (!isLive(call, now)) {
    return html`<section id="live" data-live class="call-over"><p>Call over${call.endedAt ? html` at ${when(call.endedAt)}` : ""}${call.duration !== null ? `, ${duration(call.duration)} long` : ""}.</p></section>`;
  }
  const on = nowOnCall(call, timeline);
  return html`<section id="live" data-live class="call-live"><p><strong>On the line</strong> for ${elapsed(call.meta.startedAt, now)}, stage ${call.stage}.</p>
${on ? html`<p class="now now-${on.state}">Now: ${NOW_WORDS[on.state]} <strong class="engineer">${on.engineer}</strong> ${on.number ? html`(${telLink(on.number)})` : ""}, engineer ${on.level}${on.since ? html`, for ${elapsed(on.since, now)}` : ""}.</p>` : ""}</section>`;
}

/** The case's buttons and note form (engineers and admins); a call page and an email incident page share them. */
export function caseActions(incident: IncidentView, csrf: string, staff: CallPageView["staff"]): Html | "" {
  if (!can("engineer")) return "";
  const c = incident.case;
  const action = (verb: string, label: string, fields: Html | "" = "") =>
    html`<form method="post" action="/console/incidents/${incident.id}/${verb}" class="inline case-action"><input type="hidden" name="_csrf" value="${csrf}">${fields}<button type="submit">${label}</button></form>`;
  const me = signedIn();
  const people = [...staff, ...(me && !staff.some((p) => p.email === me.email) ? [{ email: me.email, name: me.name }] : [])];
  const owner = html`<label>Owner <select name="owner">${people.map((p) => html`<option value="${p.email}"${p.email === (c.owner ?? me?.email) ? html` selected` : ""}>${p.name} (${p.email})</option>`)}</select></label> `;
  return html`<div class="case-actions">${action("assign", "Assign owner", owner)}
${c.state !== "closed" ? action("close", "Close case") : action("reopen", "Reopen case")}
${c.state !== "partner-replied" ? action("reply", "Record partner reply") : ""}</div>
<form method="post" action="/console/incidents/${incident.id}/notes" class="note-form"><input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="note" value="${randomBytes(8).toString("hex")}">
<label>Private note (staff only, never sent to the partner)<br><textarea name="text" rows="3" cols="80" required></textarea></label><br><button type="submit">Add note</button></form>`;
}

export function notesSection(notes: CaseNote[]): Html {
  return html`<section class="notes"><h2>Private notes</h2>${notes.length
    ? html`<ol class="case-notes">${notes.map((n) => html`<li><p><strong>${n.byName}</strong> <span class="muted">${n.by}</span> ${when(n.at)}</p><pre>${n.text}</pre></li>`)}</ol>`
    : html`<p>No notes yet.</p>`}</section>`;
}

function incidentSections(view: CallPageView, csrf: string): Html {
  const incident = view.incident!;
  const email = incident.followup.email;
  const paged = pagedSummary(incident);
  const callback = incident.voicemail?.contact?.phone ?? null;
  return html`${incident.voicemail
    ? html`<section><h2>Voicemail</h2><p>${incident.voicemail.recordingUrl ? html`<a href="${incident.voicemail.recordingUrl}">Recording ${incident.voicemail.recordingSid ?? ""}</a> (${incident.voicemail.durationSeconds} s)` : "Recording not received yet"}</p>
<blockquote class="transcript">${incident.voicemail.transcript ?? `transcription ${incident.voicemail.transcriptionStatus}`}</blockquote>
<p>Follow-up contact found: ${incident.voicemail.contact?.email ?? "no email"}, ${callback ? html`<span class="callback">call back on ${telLink(callback)}</span>` : "no phone number"}</p>${contactCandidates(incident.voicemail.contact)}</section>`
    : ""}
<section><h2>Follow-up</h2>
<p class="paged">Responders paged: ${paged.text}${incident.followup.mobilise.error ? ` — ${incident.followup.mobilise.error}` : ""}</p>
<p>Email: ${email.state}${email.to ? ` to ${email.to}` : ""}${email.sentAt ? html` at ${when(email.sentAt)}` : ""}${email.error ? ` — ${email.error}` : ""}${email.lateContact ? ` — transcript later named ${email.lateContact}` : ""}</p>
${email.subject ? html`<div class="email"><p><strong>${email.subject}</strong></p><pre>${email.text ?? ""}</pre></div>` : ""}
</section>
<section id="case"><h2>Case</h2><p class="case-state">Case ${caseSummary(incident)}${incident.case.repliedAt ? html`, partner replied at ${when(incident.case.repliedAt)}` : ""}</p>
${caseActions(incident, csrf, view.staff)}</section>
${notesSection(view.notes)}
${threadSection(incident, csrf)}`;
}

export function callPage(view: CallPageView, csrf: string, notice?: string): string {
  const { call, incident, timeline } = view;
  const meta = call.meta;
  const live = isLive(call, view.now);
  const segments = timelineSegments(timeline, call.attempts, meta.engineers, live ? view.now.getTime() : undefined);
  const title = incident?.id ?? `Call ${meta.callSid}`;
  return layout(
    title,
    html`<h1>${title}${incident?.outcome ? html` <span class="badge">${incident.outcome}</span>` : ""}${meta.drill ? html` <span class="badge drill">drill</span>` : ""}${incident?.misuse ? html` <span class="badge misuse">misuse: ${incident.misuse.callsInLastDay} calls in 24 h</span>` : ""}</h1>
${notice ? html`<p class="notice">${notice}</p>` : ""}
${incident?.groupedWith
    ? html`<p class="grouped">Repeat call from this number: grouped with <a href="/console/incidents/${incident.groupedWith}">${incident.groupedWith}</a>, whose page it joined; no second email was sent to the partner.</p>`
    : ""}
${meta.reconstructed ? html`<p class="reconstructed">Session reconstructed: the call's first webhook left none, so its start and roster come from a later webhook.</p>` : ""}
<p>Call ${meta.callSid} from <strong>${partnerLink(meta.partner?.name, meta.from)}</strong>${meta.partner ? html` (${telLink(meta.from)})` : html` — call back: ${telLink(meta.from)}`}, started ${when(meta.startedAt)}${incident ? html`, incident raised ${when(incident.raisedAt)}` : ", no incident yet"}.${incident?.timeToHumanSeconds != null ? ` Time to a human: ${duration(incident.timeToHumanSeconds)}.` : ""}</p>
${liveSection(view)}
<section id="timeline" data-live><h2>Timeline</h2>${timelineBar(segments)}
<ol class="events">${timeline.map((e) => html`<li>${when(e.at)} ${e.text}</li>`)}</ol></section>
<section id="engineers" data-live><h2>Engineers</h2><table><thead><tr><th>Level</th><th>Engineer</th><th>Result</th><th>Seconds</th></tr></thead><tbody>
${call.attempts.map((a) => html`<tr class="leg-${a.result}"><td>${a.level}</td><td>${a.engineer ? html`${a.engineer.name ?? ""} ${telLink(a.engineer.number)}` : "(not on this call's roster)"}</td><td>${a.result}</td><td>${a.seconds}</td></tr>`)}
</tbody></table></section>
${incident ? incidentSections(view, csrf) : ""}`,
    { csrf, refresh: live ? 3 : 0 },
  );
}

/**
 * When the transcript named addresses or numbers without saying which to use, no contact was taken (the
 * follow-up went to the directory address or the support inbox): staff see what was said, to judge.
 */
function contactCandidates(contact: FollowUpContact | null | undefined): Html | string {
  if (!contact) return "";
  const unsure = (["email", "phone"] as const).filter((kind) => contact.confidence[kind] === "unsure" && contact.candidates[kind].length);
  if (!unsure.length) return "";
  return html`<p class="warning">Not sure which contact the caller meant; heard: ${unsure.map((kind) => contact.candidates[kind].join(", ")).join("; ")}. The follow-up did not use them: check the recording.</p>`;
}
