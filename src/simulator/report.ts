import type { CallReport, DrillReport, ScenarioReport } from "./drill.ts";

/** The drill's report for people (text), for tools (JSON), for CI pipelines (JUnit) and for auditors (HTML). */

const secs = (value: number | null) => (value === null ? "—" : `${value.toFixed(1)} s`);

export function progressLine(scenario: ScenarioReport): string {
  if (scenario.skipped) return `- ${scenario.name}  skipped: ${scenario.skipped}`;
  const mark = scenario.passed ? "✔" : "✘";
  const calls = scenario.calls
    .map((c) => `${c.caller}: first ring ${secs(c.timings.firstRingAt)}, ${c.timings.humanAt !== null ? `human at ${secs(c.timings.humanAt)}` : c.timings.beepAt !== null ? `beep at ${secs(c.timings.beepAt)}` : "no human"}`)
    .join("; ");
  return `${mark} ${scenario.name}  (${scenario.file}, ${scenario.realMs} ms real)  ${calls}`;
}

function callText(call: CallReport): string[] {
  const lines = [`    call ${call.callSid} from ${call.caller}${call.incidentId ? ` → ${call.incidentId}` : ""}`];
  for (const event of call.events) lines.push(`      [${event.t.toFixed(1).padStart(6)} s] ${event.party} ${event.kind}: ${event.text}`);
  for (const check of call.checks) {
    const mark = check.ok === null ? "·" : check.ok ? "✔" : "✘";
    lines.push(check.ok === false ? `    ${mark} ${check.name}: expected ${check.expected}, saw ${check.actual}` : `    ${mark} ${check.name}: ${check.ok === null ? `not checked (${check.actual})` : check.actual}`);
  }
  return lines;
}

export function textReport(report: DrillReport, { transcripts = true } = {}): string {
  const lines: string[] = [];
  for (const scenario of report.scenarios) {
    lines.push(`── ${scenario.skipped ? "-" : scenario.passed ? "✔" : "✘"} ${scenario.name} (${scenario.file})`);
    if (scenario.skipped) lines.push(`    skipped: ${scenario.skipped}`);
    if (scenario.description) lines.push(`    ${scenario.description.trim()}`);
    for (const call of scenario.calls) lines.push(...(transcripts ? callText(call) : callText(call).filter((line) => !line.startsWith("      ["))));
  }
  const failed = report.scenarios.filter((s) => !s.passed);
  const ran = report.scenarios.filter((s) => !s.skipped).length;
  lines.push("", `drill against ${report.target}: ${ran - failed.length} of ${ran} scenarios passed${failed.length ? ` — failed: ${failed.map((s) => s.name).join(", ")}` : ""} (${report.realMs} ms real)`);
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
      return `    <testcase classname="${xml(scenario.file)}" name="${xml(`${scenario.name} — ${call.caller}`)}" time="${(scenario.realMs / 1000).toFixed(3)}">\n${body ? `${body}\n` : ""}${out}\n    </testcase>`;
    });
    const skipped = scenario.skipped ? `    <testcase classname="${xml(scenario.file)}" name="${xml(scenario.name)}"><skipped message="${xml(scenario.skipped)}"/></testcase>` : "";
    const failures = scenario.calls.filter((c) => !c.passed).length;
    return `  <testsuite name="${xml(scenario.name)}" tests="${Math.max(scenario.calls.length, 1)}" failures="${failures}" skipped="${scenario.skipped ? 1 : 0}" time="${(scenario.realMs / 1000).toFixed(3)}">\n${[...cases, skipped].filter(Boolean).join("\n")}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="emergency-line drill" time="${(report.realMs / 1000).toFixed(3)}">\n${suites.join("\n")}\n</testsuites>\n`;
}

const COLOURS: Record<string, string> = { caller: "#4a7bd0", carrier: "#888" };
const colour = (party: string) => COLOURS[party] ?? ["#d08a2f", "#3c9a5f", "#a04ac0"][Number(party.split(" ")[1] ?? 1) - 1] ?? "#555";

/** Each call as a timeline: one bar per party, segments where they hear, ring, talk or record. */
export function htmlReport(report: DrillReport): string {
  const sections = report.scenarios.map((scenario) => {
    const calls = scenario.calls.map((call) => {
      const end = Math.max(call.timings.endedAt, 1);
      const parties = [...new Set(call.events.map((e) => e.party))];
      const rows = parties.map((party) => {
        const marks = call.events
          .filter((e) => e.party === party)
          .map((e) => `<span class="mark" style="left:${((e.t / end) * 100).toFixed(2)}%;background:${colour(party)}" title="${xml(`${e.t.toFixed(1)} s ${e.kind}: ${e.text}`)}"></span>`)
          .join("");
        return `<div class="row"><span class="party">${xml(party)}</span><div class="bar">${marks}</div></div>`;
      });
      const checks = call.checks.map((c) => `<li class="${c.ok === false ? "fail" : c.ok ? "ok" : "na"}">${xml(c.name)}: ${xml(c.ok === false ? `expected ${c.expected}, saw ${c.actual}` : c.actual)}</li>`).join("");
      const transcript = call.events.map((e) => `<tr><td>${e.t.toFixed(1)} s</td><td>${xml(e.party)}</td><td>${xml(e.kind)}</td><td>${xml(e.text)}</td></tr>`).join("");
      return `<article class="call ${call.passed ? "ok" : "fail"}">
<h3>${xml(call.caller)} — ${xml(call.incidentId ?? "no incident")} — first ring ${secs(call.timings.firstRingAt)}, human ${secs(call.timings.humanAt)}, beep ${secs(call.timings.beepAt)}, end ${secs(call.timings.endedAt)}</h3>
<div class="timeline">${rows.join("")}<div class="axis"><span>0 s</span><span>${end.toFixed(0)} s</span></div></div>
<ul class="checks">${checks}</ul>
<details><summary>Transcript</summary><table>${transcript}</table></details>
</article>`;
    });
    return `<section><h2>${scenario.passed ? "✔" : "✘"} ${xml(scenario.name)}</h2><p>${xml(scenario.description ?? "")} <code>${xml(scenario.file)}</code>${scenario.skipped ? ` — skipped: ${xml(scenario.skipped)}` : ""}</p>${calls.join("\n")}</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Drill report ${xml(report.startedAt)}</title>
<style>
body{font:14px system-ui,sans-serif;margin:2em;color:#222}h2{margin-top:2em}.call{border-left:4px solid #3c9a5f;padding:.5em 1em;margin:1em 0;background:#fafafa}
.call.fail{border-color:#c0392b}.row{display:flex;align-items:center;margin:2px 0}.party{width:8em;font-size:12px}.bar{position:relative;flex:1;height:14px;background:#eee}
.mark{position:absolute;top:0;width:6px;height:14px;border-radius:2px}.axis{display:flex;justify-content:space-between;margin-left:8em;font-size:11px;color:#666}
li.fail{color:#c0392b;font-weight:bold}li.ok{color:#2d7a46}li.na{color:#888}td{padding:1px 8px;vertical-align:top}
</style></head><body>
<h1>Emergency line drill — ${report.passed ? "passed" : "FAILED"}</h1>
<p>Started ${xml(report.startedAt)} against ${xml(report.target)}; ${report.scenarios.length} scenarios in ${report.realMs} ms of real time. Times in each call are the times the caller would have lived through.</p>
${sections.join("\n")}
</body></html>
`;
}
