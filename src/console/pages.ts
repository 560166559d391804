import type { Engineer } from "../call/engineers.ts";
import { z } from "zod";
import type { IncidentView } from "../followup/incident-view.ts";
import type { PagingStatus } from "../followup/paging.ts";
import type { CallRecord } from "../call/records.ts";
import type { FollowUpContact } from "../incidents/contact.ts";
import type { StoredDrillReport } from "../store/drill-reports.ts";
import type { RosterSource } from "../store/roster.ts";
import type { SpoolStatus } from "../store/journal.ts";
import { html, type Html } from "./html.ts";
import { threadSection } from "./thread.ts";
import { can, signedIn } from "./staff/context.ts";
import { timelineBar, timelineSegments } from "./timeline-bar.ts";

/** The console's pages: plain server-rendered HTML, one stylesheet, no script. */

/** The page frame; the links and buttons shown depend on the reader's role (staff/context.ts). */
export function layout(title: string, body: Html, { nav = true, csrf = "" } = {}): string {
  const reader = signedIn();
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — emergency line</title><link rel="stylesheet" href="/console/static/console.css"></head>
<body>${nav
    ? html`<header><strong>Emergency line</strong><nav><a href="/console">Incidents</a><a href="/console/oncall">On call</a><a href="/console/roster">Roster</a><a href="/console/drills">Drills</a>${can("admin") ? html`<a href="/console/queues">Queues</a><a href="/console/staff">Staff</a><a href="/console/audit">Audit</a>` : ""}</nav>${reader ? html`<a class="who" href="/console/account" title="${reader.email}">${reader.name} (${reader.role})</a>` : ""}${csrf ? html`<form method="post" action="/console/logout" class="inline"><input type="hidden" name="_csrf" value="${csrf}"><button>Sign out</button></form>` : ""}</header>`
    : ""}
<main>${body}</main></body></html>`.value;
}

const seconds = (value: number | null) => (value === null ? "—" : `${value.toFixed(0)} s`);

export const drillFilterSchema = z.enum(["all", "exclude", "only"]);
export type DrillFilter = z.infer<typeof drillFilterSchema>;
const FILTER_LABELS: Record<DrillFilter, string> = { all: "All calls", exclude: "Real calls only", only: "Drills only" };

function filterLinks(current: DrillFilter): Html {
  const link = (filter: DrillFilter) =>
    filter === current ? html`<strong aria-current="page">${FILTER_LABELS[filter]}</strong>` : html`<a href="/console?drill=${filter}">${FILTER_LABELS[filter]}</a>`;
  return html`<p class="filter">Show: ${link("all")} · ${link("exclude")} · ${link("only")}</p>`;
}

/** Red, above everything: real incidents would page nobody, or a page could not be delivered. */
function pagingBanner(paging: PagingStatus): Html | "" {
  const off = paging.state === "off" ? html`<p>Paging is OFF: MOBILISE_WEBHOOK_URL is not set. Real incidents page nobody.</p>` : "";
  const failed = paging.failed.map(
    (id) => html`<p>Paging failed for <a href="/console/incidents/${id}">${id}</a>: nobody was paged. Retry its mobilise job under Queues once the webhook answers.</p>`,
  );
  return off || failed.length ? html`<div class="banner" role="alert">${off}${failed}</div>` : "";
}

/** Red too: a paused queue holds pages or partner emails back until someone resumes it. */
function pausedBanner(paused: string[]): Html | "" {
  if (!paused.length) return "";
  return html`<div class="banner" role="alert"><p>Paused: ${paused.join(", ")}. Its jobs wait until the queue is resumed under <a href="/console/queues">Queues</a>.</p></div>`;
}

const groupBadges = (i: IncidentView) =>
  html`${i.groupedWith ? html`<a class="badge grouped" href="/console/incidents/${i.groupedWith}">grouped with ${i.groupedWith}</a>` : ""}${i.reconstructed ? html`<span class="badge reconstructed" title="the call's first webhook left no session">reconstructed</span>` : ""}`;

export function dashboardPage(
  incidents: IncidentView[],
  inProgress: CallRecord[],
  status: SpoolStatus & { redis: boolean; paging: PagingStatus; pausedQueues: string[] },
  filter: DrillFilter,
  csrf: string,
): string {
  const rows = incidents.map(
    (i) => html`<tr class="outcome-${i.outcome}">
<td>${i.raisedAt.replace("T", " ").slice(0, 19)}</td>
<td><a href="/console/incidents/${i.id}">${i.id}</a></td>
<td>${i.outcome ?? html`<span class="badge">${i.severity} email</span>`}</td>
<td>${i.partner?.name ?? i.caller}</td>
<td>${i.drill ? html`<span class="badge drill">drill</span>` : ""}${i.misuse ? html`<span class="badge misuse" title="${i.misuse.callsInLastDay} calls in 24 h">misuse</span>` : ""}${groupBadges(i)}</td>
<td>${seconds(i.timeToHumanSeconds)}</td>
<td>${i.followup.email.state}${i.followup.email.to ? html` → ${i.followup.email.to}` : ""}</td>
<td>${i.followup.case.state}</td></tr>`,
  );
  return layout(
    "Incidents",
    html`${pagingBanner(status.paging)}${pausedBanner(status.pausedQueues)}<h1>Calls and incidents</h1>
${filterLinks(filter)}
<p class="status ${status.redis ? "" : "error"}">Redis ${status.redis ? "up" : "DOWN"}; ${status.spooled} write(s) waiting in the spool.</p>
${status.spoolFile !== "ok" || status.unspooled > 0
    ? html`<p class="status error" role="alert">Spool file ${status.spoolFile}: ${status.unspooled} write(s) held in memory only, lost if this process stops. Free disk space or fix SPOOL_FILE.</p>`
    : ""}
${inProgress.length
    ? html`<h2>Calls in progress</h2><ul class="live">${inProgress.map((c) => html`<li>${c.meta.startedAt.slice(11, 19)} ${c.meta.partner?.name ?? c.meta.from} — ${c.stage}${c.stage === "hunting" ? ` engineer ${c.level}` : ""}${c.meta.drill ? " (drill)" : ""}</li>`)}</ul>`
    : ""}
<table><thead><tr><th>Raised</th><th>Incident</th><th>Outcome</th><th>Partner</th><th></th><th>Time to a human</th><th>Follow-up email</th><th>Case</th></tr></thead>
<tbody>${rows.length ? rows : html`<tr><td colspan="8">No incidents yet.</td></tr>`}</tbody></table>`,
    { csrf },
  );
}

export function callPage(incident: IncidentView, csrf: string, notice?: string): string {
  const segments = timelineSegments(incident.timeline, incident.attempts);
  const email = incident.followup.email;
  const caseState = incident.followup.case;
  const form = (action: string, label: string) =>
    html`<form method="post" action="/console/incidents/${incident.id}/${action}" class="inline"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit">${label}</button></form>`;
  return layout(
    incident.id,
    html`<h1>${incident.id} <span class="badge">${incident.outcome}</span>${incident.drill ? html` <span class="badge drill">drill</span>` : ""}${incident.misuse ? html` <span class="badge misuse">misuse: ${incident.misuse.callsInLastDay} calls in 24 h</span>` : ""}</h1>
${notice ? html`<p class="notice">${notice}</p>` : ""}
${incident.groupedWith
      ? html`<p class="grouped">Repeat call from this number: grouped with <a href="/console/incidents/${incident.groupedWith}">${incident.groupedWith}</a>, whose page it joined; no second email was sent to the partner.</p>`
      : ""}
${incident.reconstructed ? html`<p class="reconstructed">Session reconstructed: the call's first webhook left none, so its start and roster come from a later webhook.</p>` : ""}
<p>Call ${incident.callSid} from <strong>${incident.partner ? `${incident.partner.name} (${incident.caller})` : incident.caller}</strong>, raised ${incident.raisedAt}. Time to a human: ${seconds(incident.timeToHumanSeconds)}.</p>
<section><h2>Timeline</h2>${timelineBar(segments)}
<ol class="events">${incident.timeline.map((e) => html`<li><time>${e.at.slice(11, 19)}</time> ${e.text}</li>`)}</ol></section>
<section><h2>Engineers</h2><table><thead><tr><th>Level</th><th>Engineer</th><th>Result</th><th>Seconds</th></tr></thead><tbody>
${incident.attempts.map((a) => html`<tr class="leg-${a.result}"><td>${a.level}</td><td>${a.engineer ? `${a.engineer.name ?? ""} ${a.engineer.number}` : "(not on this call's roster)"}</td><td>${a.result}</td><td>${a.seconds}</td></tr>`)}
</tbody></table></section>
${incident.voicemail
      ? html`<section><h2>Voicemail</h2><p>${incident.voicemail.recordingUrl ? html`<a href="${incident.voicemail.recordingUrl}">Recording ${incident.voicemail.recordingSid ?? ""}</a> (${incident.voicemail.durationSeconds} s)` : "Recording not received yet"}</p>
<blockquote class="transcript">${incident.voicemail.transcript ?? `transcription ${incident.voicemail.transcriptionStatus}`}</blockquote>
<p>Follow-up contact found: ${incident.voicemail.contact?.email ?? "no email"}, ${incident.voicemail.contact?.phone ?? "no phone number"}</p>${contactCandidates(incident.voicemail.contact)}</section>`
      : ""}
<section><h2>Follow-up</h2>
<p>Responders: ${incident.followup.mobilise.state}${incident.followup.mobilise.reason ? ` (${incident.followup.mobilise.reason})` : ""}${incident.followup.mobilise.error ? ` — ${incident.followup.mobilise.error}` : ""}</p>
<p>Email: ${email.state}${email.to ? ` to ${email.to}` : ""}${email.sentAt ? ` at ${email.sentAt}` : ""}${email.error ? ` — ${email.error}` : ""}${email.lateContact ? ` — transcript later named ${email.lateContact}` : ""}</p>
${email.subject ? html`<div class="email"><p><strong>${email.subject}</strong></p><pre>${email.text ?? ""}</pre></div>` : ""}
</section>
<section><h2>Case</h2><p class="case-state">Case ${caseState.state}${caseState.closesAt && caseState.state === "awaiting-reply" ? `, closes at ${caseState.closesAt} without a reply` : ""}${caseState.repliedAt ? `, partner replied at ${caseState.repliedAt}` : ""}</p>
${can("engineer") ? html`${caseState.state !== "partner-replied" ? form("reply", "Record partner reply") : ""} ${caseState.state === "closed" ? form("reopen", "Reopen case") : ""}` : ""}</section>
${threadSection(incident, csrf)}`,
    { csrf },
  );
}

export function rosterPage(roster: Engineer[], csrf: string, error?: string, source?: RosterSource): string {
  const rows = [0, 1, 2].map((i) => {
    const engineer = roster[i];
    return html`<tr><td>${i + 1}</td>
<td><input name="name${i + 1}" value="${engineer?.name ?? ""}" aria-label="name of engineer ${i + 1}"></td>
<td><input name="number${i + 1}" value="${engineer?.number ?? ""}" placeholder="+15550001001" aria-label="number of engineer ${i + 1}"></td>
<td>${engineer && i > 0 && can("admin") ? html`<button type="submit" formaction="/console/roster/move-up/${i + 1}" aria-label="move engineer ${i + 1} up">Move up</button>` : ""}</td></tr>`;
  });
  return layout(
    "Roster",
    html`<h1>On-call roster</h1>
<p>The next call dials these engineers in this order; changes take effect at once.</p>
${source ? html`<p class="roster-source">Roster from ${source.source}: ${source.reason}.</p>` : ""}
${error ? html`<p class="error">${error}</p>` : ""}
<form method="post" action="/console/roster"><input type="hidden" name="_csrf" value="${csrf}">
<table><thead><tr><th>Level</th><th>Name</th><th>Number (E.164)</th><th></th></tr></thead><tbody>${rows}</tbody></table>
${can("admin") ? html`<button type="submit">Save roster</button>` : html`<p>Only an admin changes the roster.</p>`}</form>`,
    { csrf },
  );
}

export function drillsPage(reports: StoredDrillReport[], csrf: string, error?: string): string {
  return layout(
    "Drills",
    html`<h1>Drill results</h1>
${error ? html`<p class="error">${error}</p>` : ""}
${reports.length
      ? reports.map(
          (r) => html`<article class="drill ${r.passed ? "passed" : "failed"}"><h2>${r.passed ? "✔" : "✘"} ${r.startedAt} against ${r.target}</h2>
<ul>${r.scenarios.map((s) => html`<li class="${s.skipped ? "skipped" : s.passed ? "passed" : "failed"}">${s.skipped ? "–" : s.passed ? "✔" : "✘"} ${s.name} <code>${s.file}</code>${s.calls.flatMap((c) => c.checks.filter((k) => k.ok === false).map((k) => html`<br>✘ ${k.name}: expected ${k.expected}, saw ${k.actual}`))}</li>`)}</ul></article>`,
        )
      : html`<p>No drill results yet.</p>`}
${can("engineer")
      ? html`<h2>Add a drill report</h2>
<p>Paste the output of <code>emergency-line drill --report json FILE</code>, or post it to <code>/api/drill-reports</code>.</p>
<form method="post" action="/console/drills"><input type="hidden" name="_csrf" value="${csrf}"><textarea name="report" rows="6" cols="80" required></textarea><br><button type="submit">Add report</button></form>`
      : ""}`,
    { csrf },
  );
}

export const CONSOLE_CSS = `body{font:14px system-ui,sans-serif;margin:0;color:#222}
header{display:flex;gap:2em;align-items:center;padding:.6em 1.5em;background:#1f2d3d;color:#fff}
header a{color:#cfe0ff;margin-right:1.2em}header form{margin-left:auto}main{padding:1em 1.5em;max-width:1200px}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:4px 8px;border-bottom:1px solid #ddd}
.badge{display:inline-block;padding:1px 6px;border-radius:8px;background:#e4e8ee;font-size:12px;margin-right:4px}
.badge.drill{background:#ffe9a8}.badge.misuse{background:#f7c6c0}.badge.grouped{background:#d6e4ff}.badge.reconstructed{background:#eadcf5}
.banner{background:#b0302a;color:#fff;padding:.4em 1em;margin-bottom:1em}.banner a{color:#fff;font-weight:bold}.filter{margin:.2em 0 .8em}.error{color:#b0302a;font-weight:bold}.warning{color:#8a5a00;background:#fff4d6;padding:.3em .6em}.notice{color:#2d7a46}
.timeline-bar text{font-size:12px;fill:#fff}.events{font-size:13px;color:#444}.events time{color:#888;margin-right:.5em}
.transcript{background:#f4f6f9;padding:.6em 1em;border-left:3px solid #5a7fd0}.email pre{white-space:pre-wrap;background:#fafafa;padding:.6em;border:1px solid #eee}
form.inline{display:inline}header .who{color:#fff;margin-left:auto}header .who+form{margin-left:1em}.filters{display:flex;gap:1em;flex-wrap:wrap;align-items:end;margin-bottom:1em}.audit code{font-size:12px;word-break:break-all}.token{background:#fff4d6;padding:.3em}.login{max-width:22em;display:flex;flex-direction:column;gap:.6em;margin-top:2em}
.drill.failed h2,.failed{color:#b0302a}.drill.passed h2{color:#2d7a46}
.mails{list-style:none;padding:0}.mail{border-left:3px solid #5a7fd0;padding:.2em .8em;margin:.6em 0}.mail.out{border-color:#2d7a46}
.mail pre{white-space:pre-wrap;margin:.3em 0}`;

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
