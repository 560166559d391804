import { SimulatedCall, type CallResult } from "./carrier.ts";
import { CALLBACK_KINDS, chaosLabel, chaosVariation, PLAIN, remainingOrders, type Variation } from "./chaos.ts";
import { checkCall, type Check, type DrillTarget } from "./checks.ts";
import { mailSkipReason, runEmails, type EmailReport } from "./mail-run.ts";
import type { Scenario, ScenarioCall } from "./scenario.ts";

export type { Check, DrillTarget } from "./checks.ts";
export type { EmailReport } from "./mail-run.ts";

export interface CallReport {
  caller: string;
  callSid: string;
  incidentId: string | null;
  passed: boolean;
  checks: Check[];
  timings: { firstRingAt: number | null; humanAt: number | null; beepAt: number | null; endedAt: number };
  events: CallResult["events"];
  webhooks: CallResult["webhooks"];
  /** The end-of-call callbacks in the order the carrier sent them. */
  callbacks: CallResult["callbacks"];
  errors: string[];
}

export interface ScenarioReport {
  name: string;
  file: string;
  description?: string;
  /** A chaos run: which order of the end-of-call callbacks, and what else the carrier did to the line. */
  variant?: string;
  passed: boolean;
  skipped?: string;
  /** Why the scenario could not be set up on the line (e.g. an override it refused); no call was placed. */
  error?: string;
  calls: CallReport[];
  /** The scenario's emails, in the scenario's order: each delivery and what the line did. */
  emails?: EmailReport[];
  realMs: number;
}

export interface DrillReport {
  startedAt: string;
  target: string;
  realMs: number;
  passed: boolean;
  scenarios: ScenarioReport[];
}

/** `--chaos`: every scenario once per order of its end-of-call callbacks, each webhook sent twice. */
export interface ChaosOptions {
  seed: number;
  /** "all" orders the docs allow, or at most this many per scenario, picked by the seed. */
  orders: "all" | number;
}

// Chaos runs of one scenario share its line; this many calls at once keeps a laptop's line responsive.
const CHAOS_CONCURRENCY = 8;

export async function runDrill(scenarios: Scenario[], target: DrillTarget, label: string, onScenario?: (report: ScenarioReport) => void, chaos?: ChaosOptions): Promise<DrillReport> {
  const started = Date.now();
  const runs = await Promise.all(
    scenarios.map(async (scenario) => {
      const reports = chaos ? await runChaos(scenario, target, chaos) : [await runScenario(scenario, target)];
      reports.forEach((report) => onScenario?.(report));
      return reports;
    }),
  );
  const reports = runs.flat();
  return { startedAt: new Date(started).toISOString(), target: label, realMs: Date.now() - started, passed: reports.every((r) => r.passed), scenarios: reports };
}

function skipReason(scenario: Scenario, target: DrillTarget): string | null {
  if (scenario.statusPage.incident && !target.controlsStatusPage) return "needs a status page incident, which a drill cannot arrange on a deployed line";
  const arranged = [scenario.at && "clock (at:)", scenario.schedule && "schedule (schedule:)"].filter(Boolean);
  // A deployed line keeps real time and its own schedule; overrides there would change who is really on call.
  if (arranged.length && !target.controlsOnCall) return `sets the line's ${arranged.join(" and ")}, which a drill cannot arrange on a deployed line`;
  return mailSkipReason(scenario, target) ?? target.refuse?.(scenario) ?? null;
}

const reportBase = (scenario: Scenario) => ({ name: scenario.name, file: scenario.file, description: scenario.description });

/**
 * The scenario's line, with the scenario's overrides put on it through the line's own API (as staff would);
 * a string when the line refused one.
 */
async function setUpLine(scenario: Scenario, target: DrillTarget): Promise<{ url: string } | string> {
  const url = await target.lineFor(scenario);
  for (const [index, override] of scenario.overrides.entries()) {
    const response = await fetch(`${url}/api/oncall/overrides`, {
      method: "POST",
      headers: { authorization: `Bearer ${target.apiToken}`, "content-type": "application/json" },
      body: JSON.stringify(override),
    });
    if (!response.ok) return `the line refused overrides.${index} (${override.engineer} at level ${override.level}): HTTP ${response.status} ${await response.text()}`;
  }
  return { url };
}

export async function runScenario(scenario: Scenario, target: DrillTarget, variation: Variation = PLAIN, line?: string): Promise<ScenarioReport> {
  const started = Date.now();
  const skipped = skipReason(scenario, target);
  if (skipped) return { ...reportBase(scenario), passed: true, skipped, calls: [], realMs: 0 };
  const set = line ? { url: line } : await setUpLine(scenario, target);
  if (typeof set === "string") return { ...reportBase(scenario), passed: false, error: set, calls: [], realMs: Date.now() - started };
  // Before the first call: the runs of a chaos batch all start at the scenario's instant (and a mail
  // scenario's clock, moved on by its last run's emails, starts again from the line's start).
  target.rewind?.(set.url);
  const mailSkip = mailSkipReason(scenario, target, set.url);
  if (mailSkip) return { ...reportBase(scenario), passed: false, error: mailSkip, calls: [], realMs: Date.now() - started };
  // The calls of one scenario are placed at once: that is how "two callers at once" is drilled. Emails go
  // meanwhile, each at its moment; one replying to a call waits for that call's follow-up.
  const placed = scenario.calls.map((call) => runCall(call, set.url, target, variation, scenario.phoneBook));
  const mailed = scenario.emails.length ? runEmails(scenario, set.url, target, placed, { redeliver: variation.replay }) : Promise.resolve([]);
  const [calls, emails] = await Promise.all([Promise.all(placed), mailed]);
  const passed = calls.every((c) => c.passed) && emails.every((e) => e.passed);
  return { ...reportBase(scenario), passed, calls, ...(emails.length && { emails }), realMs: Date.now() - started };
}

/**
 * A scenario in chaos: a first run reveals which end-of-call callbacks each call gets; then one fresh run
 * per further order those callbacks can take (or the seeded subset). Every run must pass; each report
 * names its order.
 */
async function runChaos(scenario: Scenario, target: DrillTarget, chaos: ChaosOptions): Promise<ScenarioReport[]> {
  if (skipReason(scenario, target)) return [await runScenario(scenario, target)];
  const set = await setUpLine(scenario, target);
  if (typeof set === "string") return [{ ...reportBase(scenario), passed: false, error: set, calls: [], realMs: 0 }];
  const line = set.url;
  const first = chaosVariation(CALLBACK_KINDS, 0);
  const firstReport = await runScenario(scenario, target, first, line);
  const present = firstReport.calls.map((call) => call.callbacks.map((callback) => callback.kind));
  const orders = remainingOrders(CALLBACK_KINDS, present, chaos.orders, chaos.seed);
  const total = orders.length + 1;
  const label = (variation: Variation, index: number) => chaosLabel(variation, index, total, present.flat());
  const reports: ScenarioReport[] = [{ ...firstReport, variant: label(first, 0) }];
  // Runs that move the line's clock (a later email's at:) share one clock: one at a time.
  const concurrency = scenario.emails.some((e) => e.at > 0) ? 1 : CHAOS_CONCURRENCY;
  for (let next = 0; next < orders.length; next += concurrency) {
    const batch = orders.slice(next, next + concurrency).map(async (order, i) => {
      const index = next + i + 1;
      const variation = chaosVariation(order, index);
      return { ...(await runScenario(scenario, target, variation, line)), variant: label(variation, index) };
    });
    reports.push(...(await Promise.all(batch)));
  }
  return reports;
}

async function runCall(call: ScenarioCall, url: string, target: DrillTarget, variation: Variation, phoneBook?: Record<string, string>): Promise<CallReport> {
  const options = { target: url, accountSid: target.accountSid, authToken: target.authToken, lineNumber: target.lineNumber };
  const result = await new SimulatedCall(options, call.caller, call.engineers, variation).run();
  const checks = await checkCall(call.expect, result, url, target, phoneBook);
  if (result.errors.length) checks.unshift({ name: "carrier", ok: false, expected: "every webhook answered with valid TwiML, only the engineers described dialled", actual: result.errors.join("; ") });
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
    callbacks: result.callbacks,
    errors: result.errors,
  };
}
