import type { CallReport, DrillReport, EmailReport, ScenarioReport } from "./scenario-runner.ts";

/** The drill's report for people (text), for tools (JSON), for CI pipelines (JUnit) and for auditors (HTML). */

import { CALLBACK_NAMES } from "./chaos.ts";
import { floors } from "./floors.ts";
import { span } from "./mail.ts";

const secs = (value: number | null) => (value === null ? "—" : `${value.toFixed(1)} s`);

/** A scenario's name, with the chaos order it ran in: a failure must say which order broke the line. */
const title = (scenario: ScenarioReport) => (scenario.variant ? `${scenario.name} [${scenario.variant}]` : scenario.name);

/** "first ring 7.2 s, human at 21.0 s (floor 18.0 s)": each milestone beside what the line imposed of it. */
export function milestones(call: CallReport): string {
  const floor = floors(call.events, call.timings);
  const beside = (at: number | null, least: number | null) => `${secs(at)}${least !== null && at !== null && least < at ? ` (floor ${secs(least)})` : ""}`;
  const end = call.timings.humanAt !== null ? `human at ${beside(call.timings.humanAt, floor.human)}` : call.timings.beepAt !== null ? `beep at ${beside(call.timings.beepAt, floor.beep)}` : "no human";
  return `first ring ${secs(call.timings.firstRingAt)}, ${end}`;
}

export function progressLine(scenario: ScenarioReport): string {
  if (scenario.skipped) return `- ${scenario.name}  skipped: ${scenario.skipped}`;
  const mark = scenario.passed ? "✔" : "✘";
  const emails = scenario.emails?.length ? `${scenario.emails.length} email(s): ${scenario.emails.map((e) => `${e.passed ? "" : "✘ "}${e.incidentId ?? "no incident"}`).join(", ")}` : "";
  const calls = scenario.error ? `not set up: ${scenario.error}` : [...scenario.calls.map((c) => `${c.caller}: ${milestones(c)}`), emails].filter(Boolean).join("; ");
  return `${mark} ${title(scenario)}  (${scenario.file}, ${scenario.realMs} ms real)  ${calls}`;
}

function checkLines(checks: CallReport["checks"]): string[] {
  return checks.map((check) => {
    const mark = check.ok === null ? "·" : check.ok ? "✔" : "✘";
    return check.ok === false ? `    ${mark} ${check.name}: expected ${check.expected}, saw ${check.actual}` : `    ${mark} ${check.name}: ${check.ok === null ? `not checked (${check.actual})` : check.actual}`;
  });
}

function callText(call: CallReport): string[] {
  const lines = [`    call ${call.callSid} from ${call.caller}${call.incidentId ? ` → ${call.incidentId}` : ""}`];
  for (const event of call.events) lines.push(`      [${event.t.toFixed(1).padStart(6)} s] ${event.party} ${event.kind}: ${event.text}`);
  if (call.callbacks.length) lines.push(`    after the call: ${call.callbacks.map((c) => `${CALLBACK_NAMES[c.kind]} ${c.path}`).join(" → ")}`);
  return [...lines, ...checkLines(call.checks)];
}

/** "email outage from ops@acme.example at +73 h 0 min": how an email is named in every report. */
const emailTitle = (email: EmailReport) => `email${email.id ? ` ${email.id}` : ""} from ${email.from} at +${span(email.at)}`;

function emailText(email: EmailReport): string[] {
  const lines = [`    ${emailTitle(email)}: "${email.subject}"${email.incidentId ? ` → ${email.incidentId}` : ""}`];
  for (const event of email.events) lines.push(`      [+${span(event.at)}] ${event.text}`);
  return [...lines, ...checkLines(email.checks)];
}

export function textReport(report: DrillReport, { transcripts = true } = {}): string {
  const lines: string[] = [];
  for (const scenario of report.scenarios) {
    lines.push(`── ${scenario.skipped ? "-" : scenario.passed ? "✔" : "✘"} ${title(scenario)} (${scenario.file})`);
    if (scenario.skipped) lines.push(`    skipped: ${scenario.skipped}`);
    if (scenario.error) lines.push(`    ✘ not set up: ${scenario.error}`);
    if (scenario.description) lines.push(`    ${scenario.description.trim()}`);
    for (const call of scenario.calls) lines.push(...(transcripts ? callText(call) : callText(call).filter((line) => !line.startsWith("      ["))));
    for (const email of scenario.emails ?? []) lines.push(...(transcripts ? emailText(email) : emailText(email).filter((line) => !line.startsWith("      ["))));
  }
  const failed = report.scenarios.filter((s) => !s.passed);
  const ran = report.scenarios.filter((s) => !s.skipped).length;
  const skipped = report.scenarios.length - ran;
  lines.push(
    "",
    `drill against ${report.target}: ${ran - failed.length} of ${ran} scenarios passed${skipped ? `, ${skipped} skipped` : ""}${failed.length ? ` — failed: ${failed.map(title).join(", ")}` : ""} (${report.realMs} ms real)`,
  );
  return lines.join("\n");
}

export function jsonReport(report: DrillReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const xml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);

export function junitReport(report: DrillReport): string {
  const suites = report.scenarios.map((scenario) => {
    const cases = scenario.calls.map((call) => {
      const failures = call.checks.filter((c) => c.ok === false);
      const body = failures.map((f) => `      <failure message="${xml(`${f.name}: expected ${f.expected}, saw ${f.actual}`)}" type="expectation"/>`).join("\n");
      const out = `      <system-out>${xml(callText(call).join("\n"))}</system-out>`;
      return `    <testcase classname="${xml(scenario.file)}" name="${xml(`${title(scenario)} — ${call.caller}`)}" time="${(scenario.realMs / 1000).toFixed(3)}">\n${body ? `${body}\n` : ""}${out}\n    </testcase>`;
    });
    const mails = (scenario.emails ?? []).map((email) => {
      const failures = email.checks.filter((c) => c.ok === false);
      const body = failures.map((f) => `      <failure message="${xml(`${f.name}: expected ${f.expected}, saw ${f.actual}`)}" type="expectation"/>`).join("\n");
      return `    <testcase classname="${xml(scenario.file)}" name="${xml(`${title(scenario)} — ${emailTitle(email)}`)}" time="${(scenario.realMs / 1000).toFixed(3)}">\n${body ? `${body}\n` : ""}      <system-out>${xml(emailText(email).join("\n"))}</system-out>\n    </testcase>`;
    });
    const skipped = scenario.skipped ? `    <testcase classname="${xml(scenario.file)}" name="${xml(title(scenario))}"><skipped message="${xml(scenario.skipped)}"/></testcase>` : "";
    const setUp = scenario.error ? `    <testcase classname="${xml(scenario.file)}" name="${xml(title(scenario))}"><failure message="${xml(`not set up: ${scenario.error}`)}" type="setup"/></testcase>` : "";
    const failures = scenario.calls.filter((c) => !c.passed).length + (scenario.emails ?? []).filter((e) => !e.passed).length + (scenario.error ? 1 : 0);
    const tests = scenario.calls.length + (scenario.emails?.length ?? 0);
    return `  <testsuite name="${xml(title(scenario))}" tests="${Math.max(tests, 1)}" failures="${failures}" skipped="${scenario.skipped ? 1 : 0}" time="${(scenario.realMs / 1000).toFixed(3)}">\n${[...cases, ...mails, skipped, setUp].filter(Boolean).join("\n")}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="emergency-line drill" time="${(report.realMs / 1000).toFixed(3)}">\n${suites.join("\n")}\n</testsuites>\n`;
}

// A span per event that lasts: what a party hears, a phone ringing, a conversation, a recording.
const SPAN_COLOURS: Partial<Record<CallReport["events"][number]["kind"], string>> = {
  hears: "#4a7bd0",
  rings: "#e0a030",
  answers: "#9a7bd0",
  bridged: "#3c9a5f",
  records: "#c0392b",
};

function spans(call: CallReport, party: string) {
  const end = call.timings.endedAt;
  return call.events
    .map((event, i) => ({ event, i }))
    .filter(({ event }) => event.party === party && SPAN_COLOURS[event.kind])
    .map(({ event, i }) => {
      const next = call.events.slice(i + 1).find((e) => e.t > event.t && (event.kind === "hears" || e.party === party));
      return { event, from: event.t, to: next?.t ?? end, colour: SPAN_COLOURS[event.kind]! };
    });
}

const checkItems = (checks: CallReport["checks"]) =>
  checks.map((c) => `<li class="${c.ok === false ? "fail" : c.ok ? "ok" : "na"}">${xml(c.name)}: ${xml(c.ok === false ? `expected ${c.expected}, saw ${c.actual}` : c.actual)}</li>`).join("");

/** Each call as a timeline: one bar per party, segments where they hear, ring, talk or record. */
export function htmlReport(report: DrillReport): string {
  const sections = report.scenarios.map((scenario) => {
    const calls = scenario.calls.map((call) => {
      const end = Math.max(call.timings.endedAt, 1);
      const parties = [...new Set(call.events.map((e) => e.party))];
      const rows = parties.map((party) => {
        const marks = spans(call, party)
          .map(({ event, from, to, colour }) => {
            const style = `left:${((from / end) * 100).toFixed(2)}%;width:${Math.max(((to - from) / end) * 100, 0.4).toFixed(2)}%;background:${colour}`;
            return `<span class="span" style="${style}" title="${xml(`${from.toFixed(1)}–${to.toFixed(1)} s ${event.kind}: ${event.text}`)}"></span>`;
          })
          .join("");
        return `<div class="row"><span class="party">${xml(party)}</span><div class="bar">${marks}</div></div>`;
      });
      const checks = checkItems(call.checks);
      const transcript = call.events.map((e) => `<tr><td>${e.t.toFixed(1)} s</td><td>${xml(e.party)}</td><td>${xml(e.kind)}</td><td>${xml(e.text)}</td></tr>`).join("");
      return `<article class="call ${call.passed ? "ok" : "fail"}">
<h3>${xml(call.caller)} — ${xml(call.incidentId ?? "no incident")} — first ring ${secs(call.timings.firstRingAt)}, human ${secs(call.timings.humanAt)}, beep ${secs(call.timings.beepAt)}, end ${secs(call.timings.endedAt)}</h3>
<div class="timeline">${rows.join("")}<div class="axis"><span>0 s</span><span>${end.toFixed(0)} s</span></div></div>
<ul class="checks">${checks}</ul>
<details><summary>Transcript</summary><table>${transcript}</table></details>
</article>`;
    });
    const mails = (scenario.emails ?? []).map((email) => {
      const checks = checkItems(email.checks);
      const events = email.events.map((e) => `<tr><td>+${xml(span(e.at))}</td><td>${xml(e.text)}</td></tr>`).join("");
      return `<article class="call mail ${email.passed ? "ok" : "fail"}">
<h3>${xml(emailTitle(email))} — “${xml(email.subject)}” — ${xml(email.incidentId ?? "no incident")}</h3>
<table>${events}</table>
<ul class="checks">${checks}</ul>
</article>`;
    });
    return `<section><h2>${scenario.passed ? "✔" : "✘"} ${xml(title(scenario))}</h2><p>${xml(scenario.description ?? "")} <code>${xml(scenario.file)}</code>${scenario.skipped ? ` — skipped: ${xml(scenario.skipped)}` : ""}${scenario.error ? ` — <strong>not set up: ${xml(scenario.error)}</strong>` : ""}</p>${[...calls, ...mails].join("\n")}</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Drill report ${xml(report.startedAt)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:2em;color:#222}h2{margin-top:2em}.call{border-left:4px solid #3c9a5f;padding:.5em 1em;margin:1em 0;background:#fafafa}
.call.fail{border-color:#c0392b}.row{display:flex;align-items:center;margin:2px 0}.party{width:8em;font-size:12px}.bar{position:relative;flex:1;height:14px;background:#eee}
.span{position:absolute;top:0;height:14px;border-radius:2px;opacity:.85}.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}.axis{display:flex;justify-content:space-between;margin-left:8em;font-size:11px;color:#666}
li.fail{color:#c0392b;font-weight:bold}li.ok{color:#2d7a46}li.na{color:#888}td{padding:1px 8px;vertical-align:top}
</style></head><body>
<h1>Emergency line drill — ${report.passed ? "passed" : "FAILED"}</h1>
<p class="legend">${Object.entries(SPAN_COLOURS).map(([kind, c]) => `<span style="background:${c}"></span>${kind === "bridged" ? "talking" : kind}`).join("")}</p>
<p>Started ${xml(report.startedAt)} against ${xml(report.target)}; ${report.scenarios.length} scenarios in ${report.realMs} ms of real time. Times in each call are the times the caller would have lived through.</p>
${sections.join("\n")}
</body></html>
`;
}
