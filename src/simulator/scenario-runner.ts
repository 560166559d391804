import { SimulatedCall, type CallResult } from "./carrier.ts";
import type { CapturedMail, CapturedPost } from "./capture.ts";
import type { Expectation, Scenario, ScenarioCall } from "./scenario.ts";
import { eventually } from "./wait.ts";

/** Where a drill's calls go, and what it can see of their effects. */
export interface DrillTarget {
  /** The line a scenario's calls dial. Local drills start one per scenario, set up as the scenario says. */
  lineFor(scenario: Scenario): Promise<string>;
  apiToken: string;
  authToken: string;
  accountSid: string;
  lineNumber: string;
  /** What left the line (emails, mobilisations); null against a deployed line, where it cannot be seen. */
  capture: { mails: CapturedMail[]; posts: CapturedPost[] } | null;
  /** Whether the drill can set the status page's state (only for a line it started itself). */
  controlsStatusPage: boolean;
  /** Why a scenario must not be placed on this line (e.g. it would be a real call there), or null. */
  refuse?: (scenario: Scenario) => string | null;
  /** The callers a deployed line treats as drills, when it said (load mode calls from these only). */
  drillCallers?: readonly string[];
}

export interface Check {
  name: string;
  /** null: could not be checked here (e.g. emails of a deployed line). */
  ok: boolean | null;
  expected: string;
  actual: string;
}

export interface CallReport {
  caller: string;
  callSid: string;
  incidentId: string | null;
  passed: boolean;
  checks: Check[];
  timings: { firstRingAt: number | null; humanAt: number | null; beepAt: number | null; endedAt: number };
  events: CallResult["events"];
  webhooks: CallResult["webhooks"];
  errors: string[];
}

export interface ScenarioReport {
  name: string;
  file: string;
  description?: string;
  passed: boolean;
  skipped?: string;
  calls: CallReport[];
  realMs: number;
}

export interface DrillReport {
  startedAt: string;
  target: string;
  realMs: number;
  passed: boolean;
  scenarios: ScenarioReport[];
}

// How long to wait (real time) for the workers' effects, and then for any duplicate that would follow.
const EFFECT_WAIT_MS = 8_000;
const DUPLICATE_GRACE_MS = 250;

export async function runDrill(scenarios: Scenario[], target: DrillTarget, label: string, onScenario?: (report: ScenarioReport) => void): Promise<DrillReport> {
  const started = Date.now();
  const reports = await Promise.all(
    scenarios.map(async (scenario) => {
      const report = await runScenario(scenario, target);
      onScenario?.(report);
      return report;
    }),
  );
  return { startedAt: new Date(started).toISOString(), target: label, realMs: Date.now() - started, passed: reports.every((r) => r.passed), scenarios: reports };
}

export async function runScenario(scenario: Scenario, target: DrillTarget): Promise<ScenarioReport> {
  const started = Date.now();
  const base = { name: scenario.name, file: scenario.file, description: scenario.description };
  if (scenario.statusPage.incident && !target.controlsStatusPage) {
    return { ...base, passed: true, skipped: "needs a status page incident, which a drill cannot arrange on a deployed line", calls: [], realMs: 0 };
  }
  const refused = target.refuse?.(scenario);
  if (refused) return { ...base, passed: true, skipped: refused, calls: [], realMs: 0 };
  const url = await target.lineFor(scenario);
  // The calls of one scenario are placed at once: that is how "two callers at once" is drilled.
  const calls = await Promise.all(scenario.calls.map((call) => runCall(call, url, target)));
  return { ...base, passed: calls.every((c) => c.passed), calls, realMs: Date.now() - started };
}

async function runCall(call: ScenarioCall, url: string, target: DrillTarget): Promise<CallReport> {
  const carrier = new SimulatedCall({ target: url, accountSid: target.accountSid, authToken: target.authToken, lineNumber: target.lineNumber }, call.caller, call.engineers);
  const result = await carrier.run();
  const checks = await check(call.expect, result, url, target);
  if (result.errors.length) checks.unshift({ name: "carrier", ok: false, expected: "every webhook answered with valid TwiML", actual: result.errors.join("; ") });
  const incidentId = checks.find((c) => c.name === "incident")?.actual.match(/INC-[\w-]+/)?.[0] ?? null;
  return {
    caller: call.caller.number,
    callSid: result.callSid,
    incidentId,
    passed: checks.every((c) => c.ok !== false),
    checks,
    timings: { firstRingAt: result.firstRingAt, humanAt: result.humanAt, beepAt: result.beepAt, endedAt: result.endedAt },
    events: result.events,
    webhooks: result.webhooks,
    errors: result.errors,
  };
}

async function api(url: string, path: string, token: string): Promise<any> {
  const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return response.ok ? response.json() : null;
}

const show = (value: unknown) => (value === null || value === undefined ? "nothing" : typeof value === "string" ? value : JSON.stringify(value));

async function check(expect: Expectation, result: CallResult, url: string, target: DrillTarget): Promise<Check[]> {
  const checks: Check[] = [];
  const add = (name: string, expected: unknown, actual: unknown, ok: boolean | null = show(expected) === show(actual)) =>
    checks.push({ name, ok, expected: show(expected), actual: show(actual) });

  const call = await eventually(async () => {
    const view = await api(url, `/api/calls/${result.callSid}`, target.apiToken);
    return view?.outcome && (!expect.incident || view.incidentId) ? view : null;
  }, EFFECT_WAIT_MS);
  const incident = call?.incidentId ? await api(url, `/api/incidents/${call.incidentId}`, target.apiToken) : null;

  if (expect.outcome) add("outcome", expect.outcome, call?.outcome ?? null);
  if (expect.engineer !== undefined) {
    add("engineer", `engineer ${expect.engineer} (carrier bridged, line recorded)`, `carrier bridged ${show(result.bridgedLevel)}, line recorded ${show(call?.acceptedLevel)}`,
      result.bridgedLevel === expect.engineer && call?.acceptedLevel === expect.engineer);
  }
  if (expect.attempts) add("attempts", expect.attempts, (call?.attempts ?? []).map((a: { result: string }) => a.result));
  add("incident", expect.incident ? "raised once" : "none", incident ? `${incident.id} raised` : "none", expect.incident ? Boolean(incident) : !incident);
  if (expect.drill !== undefined) add("drill flag", expect.drill, incident?.drill ?? null);
  if (expect.contact) {
    const contact = incident?.voicemail?.contact ?? null;
    add("follow-up contact", expect.contact, contact && { ...(expect.contact.email !== undefined && { email: contact.email }), ...(expect.contact.phone !== undefined && { phone: contact.phone }) });
  }
  if (expect.maxSecondsToHuman !== undefined) {
    add("time to a human", `≤ ${expect.maxSecondsToHuman} s`, result.humanAt === null ? "never" : `${result.humanAt.toFixed(1)} s`, result.humanAt !== null && result.humanAt <= expect.maxSecondsToHuman);
  }
  const heard = result.events.filter((e) => e.party === "caller" && e.kind === "hears").map((e) => e.text).join(" ");
  for (const phrase of expect.callerHears) add("caller hears", phrase, heard.includes(phrase) ? phrase : "not said", heard.includes(phrase));

  const id = incident?.id as string | undefined;
  if (expect.mobilised !== undefined) {
    if (!target.capture) add("mobilised", expect.mobilised, "not visible on a deployed line", null);
    else {
      const posts = () => target.capture!.posts.filter((p) => p.body?.dedup_key === id || p.body?.incident?.id === id);
      if (expect.mobilised > 0) await eventually(() => posts().length >= expect.mobilised!, EFFECT_WAIT_MS);
      await new Promise((resolve) => setTimeout(resolve, DUPLICATE_GRACE_MS));
      add("mobilised", `${expect.mobilised} time(s)`, `${posts().length} time(s)${posts().length ? ` via ${[...new Set(posts().map((p) => p.path))].join(", ")}` : ""}`, posts().length === expect.mobilised);
    }
  }
  if (expect.email) {
    if (!target.capture) add("email", expect.email, "not visible on a deployed line", null);
    else {
      const mails = () => target.capture!.mails.filter((m) => id && m.mail.subject?.includes(id));
      await eventually(() => mails().length > 0, EFFECT_WAIT_MS);
      await new Promise((resolve) => setTimeout(resolve, DUPLICATE_GRACE_MS));
      const sent = mails();
      add("emails sent", 1, sent.length);
      const mail = sent[0];
      if (expect.email.to) add("email to", expect.email.to, mail?.envelopeTo.join(", ") ?? null);
      for (const phrase of expect.email.contains) add("email says", phrase, mail?.mail.text?.includes(phrase) ? phrase : "not in the email", Boolean(mail?.mail.text?.includes(phrase)));
      for (const phrase of expect.email.subjectContains) add("email subject", phrase, mail?.mail.subject ?? null, Boolean(mail?.mail.subject?.includes(phrase)));
    }
  }
  return checks;
}
