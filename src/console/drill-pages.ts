import type { IncidentView } from "../followup/incident-view.ts";
import type { StoredDrillReport } from "../store/drill-reports.ts";
import { pagedSummary, partnerLink } from "./dashboard.ts";
import { duration, when } from "./format.ts";
import { html, type Html } from "./html.ts";
import { layout } from "./pages.ts";
import { can } from "./staff/context.ts";

type ReportScenario = StoredDrillReport["scenarios"][number];
type ReportCall = ReportScenario["calls"][number];
type ReportEmail = NonNullable<ReportScenario["emails"]>[number];

/** A scenario's calls, then its emails: each raised or joined an incident and was checked. */
const partsOf = (s: ReportScenario): { incidentId: string | null; checks: ReportCall["checks"] }[] => [...s.calls, ...(s.emails ?? [])];

const incidentLink = (id: string | null, linked = true) => (!id ? html`<span class="muted">no incident</span>` : linked ? html`<a href="/console/incidents/${id}">${id}</a>` : html`<code>${id}</code>`);

/**
 * Whether a run drove this line (its target is this line's PUBLIC_BASE_URL): only then are its incidents here
 * to link to. A local drill's ("a line started in-process") and another line's are named, not linked.
 */
const droveThisLine = (target: string, here: string): boolean => {
  try {
    return new URL(target).origin === new URL(here).origin;
  } catch {
    return false;
  }
};
const elsewhere = (r: StoredDrillReport) => html` · its incidents are on ${r.target}, not on this line`;
const mark = (ok: boolean | null | undefined, skipped?: unknown) => (skipped ? "–" : ok ? "✔" : "✘");

/**
 * Drill results: each published run (with links to the incidents its calls raised and to its timeline
 * report), and partner drills: calls from DRILL_CALLERS outside any run, which test the line just as well.
 */
export function drillsPage(view: { reports: { id: string; report: StoredDrillReport }[]; partnerDrills: IncidentView[]; here: string }, csrf: string, error?: string): string {
  const inRuns = new Set(view.reports.flatMap(({ report }) => report.scenarios.flatMap((s) => partsOf(s).map((part) => part.incidentId))));
  const partnerDrills = view.partnerDrills.filter((i) => !inRuns.has(i.id));
  return layout(
    "Drills",
    html`<h1>Drill results</h1>
${error ? html`<p class="error">${error}</p>` : ""}
${view.reports.length
      ? view.reports.map(
          ({ id, report: r }) => {
            const here = droveThisLine(r.target, view.here);
            return html`<article class="drill ${r.passed ? "passed" : "failed"}"><h2>${mark(r.passed)} ${when(r.startedAt)} against ${r.target}</h2>
<p><a href="/console/drills/${id}/report">Timeline report</a> · ${r.scenarios.length} scenario(s), ${duration(r.realMs / 1000)}${here ? "" : elsewhere(r)}</p>
<ul>${r.scenarios.map((s) => scenarioItem(s, here))}</ul></article>`;
          },
        )
      : html`<p>No drill results yet.</p>`}
<h2>Partner drills</h2>
<p>Calls from a drill caller (DRILL_CALLERS) and mail from a drill sender (DRILL_SENDERS) that were not part of a published run: a partner testing the line.</p>
${partnerDrills.length
      ? html`<table class="partner-drills"><thead><tr><th>Raised</th><th>Incident</th><th>Partner or caller</th><th>Outcome</th><th>Answered by</th><th>Time to a human</th><th>Paged</th></tr></thead><tbody>${partnerDrills.map(
          (i) => html`<tr class="partner-drill ${i.outcome === "connected" ? "passed" : ""}"><td>${when(i.raisedAt)}</td><td>${incidentLink(i.id)}</td><td>${partnerLink(i.partner?.name, i.caller)}</td><td>${i.outcome ?? i.channel}</td><td>${i.engineer ? (i.engineer.name ?? i.engineer.number) : "—"}</td><td>${i.timeToHumanSeconds === null ? "never" : duration(i.timeToHumanSeconds)}</td><td>${pagedSummary(i).text}</td></tr>`,
        )}</tbody></table>`
      : html`<p>None.</p>`}
${can("engineer")
      ? html`<h2>Add a drill report</h2>
<p>Paste the output of <code>emergency-line drill --report json FILE</code>, or post it to <code>/api/drill-reports</code>.</p>
<form method="post" action="/console/drills"><input type="hidden" name="_csrf" value="${csrf}"><textarea name="report" rows="6" cols="80" required></textarea><br><button type="submit">Add report</button></form>`
      : ""}`,
    { csrf },
  );
}

/** Events that last (what a party hears, a phone ringing, a conversation, a recording), and their colours. */
const SPAN_FILL: Record<string, string> = { hears: "#7f9cc9", rings: "#e0a030", answers: "#b59ad6", bridged: "#3c9a5f", records: "#5a7fd0" };

/**
 * One call of a run on a time axis: a lane per party, a span where they hear, ring, answer, talk or record
 * (until their next event; what is heard, until anyone's next), each with its text as a tooltip, and red
 * lines at the milestones the checks time (first ring, a human, the beep, the end). SVG, CSP-clean.
 */
function callBar(call: ReportCall): Html {
  const WIDTH = 1000;
  const LABEL = 110;
  const LANE = 22;
  const events = call.events ?? [];
  const end = Math.max(call.timings.endedAt, ...events.map((e) => e.t), 1);
  const x = (t: number) => LABEL + (t / end) * (WIDTH - LABEL - 4);
  const parties = [...new Set(events.map((e) => e.party))];
  const lanes = parties.map((party, lane) => {
    const y = lane * LANE;
    const spans = events.flatMap((e, i) => {
      if (e.party !== party || !SPAN_FILL[e.kind]) return [];
      const next = events.slice(i + 1).find((n) => n.t > e.t && (e.kind === "hears" || n.party === party));
      const to = next?.t ?? end;
      return [html`<g class="span span-${e.kind}"><title>${e.t.toFixed(1)}–${to.toFixed(1)} s ${party} ${e.kind}: ${e.text}</title><rect x="${x(e.t).toFixed(1)}" y="${y + 3}" width="${Math.max(x(to) - x(e.t), 3).toFixed(1)}" height="${LANE - 6}" fill="${SPAN_FILL[e.kind]}"></rect></g>`];
    });
    const instants = events
      .filter((e) => e.party === party && !SPAN_FILL[e.kind])
      .map((e) => html`<g class="instant"><title>${e.t.toFixed(1)} s ${party} ${e.kind}: ${e.text}</title><rect x="${x(e.t).toFixed(1)}" y="${y + 1}" width="3" height="${LANE - 2}" fill="#444"></rect></g>`);
    return html`<text x="0" y="${y + 15}">${party}</text><rect x="${LABEL}" y="${y + LANE / 2 - 1}" width="${WIDTH - LABEL - 4}" height="2" fill="#e4e8ee"></rect>${spans}${instants}`;
  });
  const height = Math.max(parties.length, 1) * LANE;
  const milestones = (
    [
      ["first ring", call.timings.firstRingAt],
      ["human", call.timings.humanAt],
      ["beep", call.timings.beepAt],
      ["end", call.timings.endedAt],
    ] as const
  ).filter(([, t]) => t !== null);
  const marks = milestones.map(([label, t]) => html`<g class="milestone"><title>${label} at ${t!.toFixed(1)} s</title><rect x="${x(t!).toFixed(1)}" y="0" width="2" height="${height}" fill="#b0302a"></rect></g>`);
  return html`<svg class="report-bar" viewBox="0 0 ${WIDTH} ${height}" width="100%" height="${height}" preserveAspectRatio="xMinYMin meet" role="img" aria-label="the call's parties over time">${lanes}${marks}</svg>
<p class="milestones">${milestones.map(([label, t]) => html`<span class="badge">${label}: ${t!.toFixed(1)} s</span>`)} <small>0 to ${end.toFixed(0)} s; hover a span for what happened</small></p>`;
}

function checksTable(checks: ReportCall["checks"]): Html {
  return html`<table class="checks"><thead><tr><th></th><th>Check</th><th>Expected</th><th>Saw</th></tr></thead><tbody>${checks.map((k) => html`<tr class="${k.ok === false ? "failed" : ""}"><td>${k.ok === null ? "–" : mark(k.ok)}</td><td>${k.name}</td><td>${k.expected}</td><td>${k.actual}</td></tr>`)}</tbody></table>`;
}

/** A run's scenario in the list: how it went, its incidents (linked when `here`), the checks that failed. */
function scenarioItem(s: ReportScenario, here: boolean): Html {
  const parts = partsOf(s);
  return html`<li class="${s.skipped ? "skipped" : s.passed ? "passed" : "failed"}">${mark(s.passed, s.skipped)} ${s.name} <code>${s.file}</code>${parts.length ? html` — incidents: ${parts.map((part, i) => html`${i ? ", " : ""}${incidentLink(part.incidentId, here)}`)}` : ""}${parts.flatMap((part) => part.checks.filter((k) => k.ok === false).map((k) => html`<br>✘ ${k.name}: expected ${k.expected}, saw ${k.actual}`))}</li>`;
}

/** One of a mail drill's emails: who sent what, when on the scenario's clock, the incident, the checks, what happened. */
function emailArticle(e: ReportEmail, here: boolean): Html {
  return html`<article class="report-email"><h3>${mark(e.passed)} Email from ${e.from} at ${e.at.toFixed(0)} s — ${incidentLink(e.incidentId, here)}</h3>
<p>Subject: ${e.subject}</p>
${checksTable(e.checks)}
${e.events?.length ? html`<details><summary>${e.events.length} events</summary><table class="events"><tbody>${e.events.map((event) => html`<tr><td>${event.at.toFixed(1)} s</td><td>${event.text}</td></tr>`)}</tbody></table></details>` : ""}</article>`;
}

/** A drill run's HTML timeline report, drawn by the console from the stored JSON (the console never imports the simulator). */
export function drillReportPage(id: string, r: StoredDrillReport, csrf: string, thisLine: string): string {
  const here = droveThisLine(r.target, thisLine);
  return layout(
    `Drill ${r.startedAt}`,
    html`<h1>${mark(r.passed)} Drill of ${when(r.startedAt)} against ${r.target}</h1>
<p><a href="/console/drills">← All drills</a> · report <code>${id}</code> · ${duration(r.realMs / 1000)} of real time${here ? "" : elsewhere(r)}</p>
${r.scenarios.map(
  (s) => html`<section class="scenario ${s.passed ? "passed" : "failed"}"><h2>${mark(s.passed, s.skipped)} ${s.name} <small><code>${s.file}</code></small></h2>${s.skipped ? html`<p>Skipped: ${s.skipped}</p>` : ""}
${s.calls.map(
  (c) => html`<article class="report-call"><h3>${mark(c.passed)} Call from ${c.caller} — ${incidentLink(c.incidentId, here)}</h3>${callBar(c)}
${checksTable(c.checks)}
${c.events?.length ? html`<details><summary>${c.events.length} events</summary><table class="events"><tbody>${c.events.map((e) => html`<tr><td>${e.t.toFixed(1)} s</td><td>${e.party}</td><td>${e.kind}</td><td>${e.text}</td></tr>`)}</tbody></table></details>` : ""}</article>`,
)}${(s.emails ?? []).map((e) => emailArticle(e, here))}</section>`,
)}`,
    { csrf },
  );
}
