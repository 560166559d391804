import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, extname } from "node:path";
import type { MailDoor } from "../simulator/checks.ts";
import type { ChaosOptions, DrillReport, DrillTarget } from "../simulator/scenario-runner.ts";
import { runDrill } from "../simulator/scenario-runner.ts";
import { runLoad, loadReportText } from "../simulator/load.ts";
import { htmlReport, jsonReport, junitReport, progressLine, textReport } from "../simulator/report.ts";
import { loadScenarios, ScenarioError, type Scenario } from "../simulator/scenario.ts";
import { loadSchedule, ScheduleError } from "../schedule/schema.ts";

export interface DrillOptions {
  report?: string[];
  target?: string;
  token?: string;
  lineNumber: string;
  concurrency?: string;
  calls?: string;
  transcripts: boolean;
  publish?: string;
  allowReal?: boolean;
  chaos?: boolean;
  smtp?: string;
  mailTo?: string;
  seed?: string;
  orders?: string;
}

const WRITERS = { json: jsonReport, junit: junitReport, html: htmlReport } as const;

/** `emergency-line drill`: exit 0 when every expectation held, 1 when one failed, 2 on bad input. */
export async function drillCommand(paths: string[], options: DrillOptions): Promise<number> {
  const reports = pairReports(options.report ?? []);
  if (typeof reports === "string") return usage(reports);
  const chaos = chaosOptions(options);
  if (typeof chaos === "string") return usage(chaos);

  const load = options.concurrency !== undefined || options.calls !== undefined;
  if (load && chaos) return usage("--chaos drills scenarios; it does not go with load mode (--concurrency, --calls)");
  let scenarios: ReturnType<typeof loadScenarios> = [];
  if (!load) {
    const wanted = paths.length ? paths : ["drills"];
    const missing = wanted.filter((path) => !existsSync(path));
    if (missing.length) return usage(`no such scenario file or folder: ${missing.join(", ")}${paths.length ? "" : " (run it from the project folder, or name the scenario files)"}`);
    try {
      scenarios = loadScenarios(wanted);
      checkSchedules(scenarios);
    } catch (error) {
      if (error instanceof ScenarioError) {
        console.error(`refused: bad scenario file\n${error.message}`);
        return 2;
      }
      throw error;
    }
    if (scenarios.length === 0) return usage(`no scenario files found in ${paths.join(", ") || "drills"}`);
  }

  if ((options.smtp || options.mailTo) && !options.target) return usage("--smtp and --mail-to go with --target: a local drill delivers its emails to the line it starts");
  const door = mailDoorOption(options);
  if (typeof door === "string") return usage(door);
  const remote = options.target ? await remoteTarget(options, door) : null;
  if (typeof remote === "string") return usage(remote);
  if (remote && load && !remote.drillCallers?.length && !options.allowReal) {
    return usage(`${options.target} treats no number as a drill caller: load mode would place real calls (set DRILL_CALLERS on the line, or pass --allow-real)`);
  }
  // Imported here: the in-process line is the whole app, which a refused command line need not load.
  const local = remote ? null : await (await import("./local.ts")).startLocalStack({ env: process.env });
  const target = remote ?? local!.target;
  const label = options.target ?? "a line started in-process";
  try {
    if (load) {
      const concurrency = Number(options.concurrency ?? 10);
      const calls = Number(options.calls ?? 100);
      if (!Number.isInteger(concurrency) || concurrency < 1 || !Number.isInteger(calls) || calls < 1) return usage("--concurrency and --calls take whole numbers of 1 or more");
      const result = await runLoad(target, { concurrency, calls });
      console.log(loadReportText(result, label));
      return result.failures.length ? 1 : 0;
    }
    console.log(`drilling ${scenarios.length} scenario${scenarios.length === 1 ? "" : "s"} against ${label}`);
    // The seed is printed so that a failing random subset of orders can be run again as it was.
    if (chaos) console.log(`chaos: end-of-call callbacks in ${chaos.orders === "all" ? "every order" : `at most ${chaos.orders} orders`} per scenario (--seed ${chaos.seed}), every webhook sent twice`);
    const report = await runDrill(scenarios, target, label, (scenario) => console.log(progressLine(scenario)), chaos ?? undefined);
    console.log(`\n${textReport(report, { transcripts: options.transcripts })}`);
    writeReports(report, reports);
    if (options.publish) {
      const published = await publish(report, options.publish, options.token);
      if (published) return usage(published);
    }
    return report.passed ? 0 : 1;
  } finally {
    await local?.close();
  }
}

/**
 * Each schedule a scenario names, validated as the line will read it: a bad one is the scenario's fault, so
 * it is refused before any line starts, not found out as a line that cannot start mid-drill.
 */
function checkSchedules(scenarios: readonly Scenario[]): void {
  const problems = [...new Set(scenarios.flatMap((s) => (s.schedule ? [s.schedule] : [])))].flatMap((file) => {
    try {
      loadSchedule(file);
      return [];
    } catch (error) {
      if (!(error instanceof ScheduleError)) throw error;
      const owners = [...new Set(scenarios.filter((s) => s.schedule === file).map((s) => s.file))].join(", ");
      return error.message.split("\n").map((line) => `${owners}: at schedule: ${line}`);
    }
  });
  if (problems.length) throw new ScenarioError(problems.join("\n"));
}

/**
 * `--report` takes one value, FORMAT:FILE, so the scenario paths after it stay scenario paths. The spelling
 * in two words, `--report junit out.xml`, is joined into that one value before commander parses the line:
 * a format name followed by a word that is not an option takes exactly that one word as its file.
 */
export function joinReportArgs(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const inline = arg.startsWith("--report=") ? arg.slice("--report=".length) : null;
    const format = inline ?? (arg === "--report" ? argv[i + 1] : undefined);
    const fileAt = inline === null ? i + 2 : i + 1;
    const file = argv[fileAt];
    if (format !== undefined && Object.hasOwn(WRITERS, format) && file !== undefined && !file.startsWith("-")) {
      out.push("--report", `${format}:${file}`);
      i = fileAt;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/** `--chaos [--seed N] [--orders all|N]`; null without --chaos, a message when a value is wrong. */
function chaosOptions(options: DrillOptions): ChaosOptions | null | string {
  if (!options.chaos) return options.seed !== undefined || options.orders !== undefined ? "--seed and --orders go with --chaos" : null;
  const seed = options.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(options.seed);
  if (!Number.isSafeInteger(seed) || seed < 0) return `--seed takes a whole number of 0 or more, not "${options.seed}"`;
  const orders = options.orders === undefined || options.orders === "all" ? "all" : Number(options.orders);
  if (orders !== "all" && (!Number.isInteger(orders) || orders < 1)) return `--orders takes "all" or a whole number of 1 or more, not "${options.orders}"`;
  return { seed, orders };
}

function pairReports(values: string[]): { format: keyof typeof WRITERS; file: string }[] | string {
  const pairs: { format: keyof typeof WRITERS; file: string }[] = [];
  for (const value of values) {
    const colon = value.indexOf(":");
    const format = colon === -1 ? value : value.slice(0, colon);
    const file = colon === -1 ? "" : value.slice(colon + 1);
    if (!Object.hasOwn(WRITERS, format)) return `--report format must be json, junit or html, not "${format}" (--report FORMAT:FILE)`;
    if (!file) return `--report ${format} needs a file: --report ${format}:FILE`;
    // A report written over a scenario would destroy it: the likely slip is a scenario path taken for the file.
    if ([".yaml", ".yml"].includes(extname(file))) return `--report ${format}:${file} would overwrite a scenario file; name a .${format === "junit" ? "xml" : format} file`;
    pairs.push({ format: format as keyof typeof WRITERS, file });
  }
  return pairs;
}

function writeReports(report: DrillReport, reports: { format: keyof typeof WRITERS; file: string }[]) {
  for (const { format, file } of reports) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, WRITERS[format](report));
    console.log(`wrote the ${format} report to ${file}`);
  }
}

/** Posts the report to a line's console (its drill results page); returns an error message, or null. */
async function publish(report: DrillReport, url: string, token: string | undefined): Promise<string | null> {
  if (!token) return "--publish needs --token (the console's CONSOLE_TOKEN)";
  const response = await fetch(`${url.replace(/\/+$/, "")}/api/drill-reports`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify(report),
  });
  if (!response.ok) return `publishing the report to ${url} failed: HTTP ${response.status} ${await response.text()}`;
  console.log(`published the report to ${url}/console/drills`);
  return null;
}

/**
 * A deployed line's own account of which callers it treats as drills (GET /api/drill/preflight), asked before
 * anything is dialled: a scenario call from any other number would page the real on-call and email the
 * partner [URGENT]. Such scenarios are skipped, and said so, unless --allow-real.
 */
async function preflight(url: string, token: string): Promise<{ drillCallers: string[]; drillSenders: string[] } | string> {
  let response: Response;
  try {
    response = await fetch(`${url}/api/drill/preflight`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    return `cannot reach ${url} for the drill preflight: ${(error as Error).message}`;
  }
  if (!response.ok) return `the drill preflight at ${url} answered HTTP ${response.status}${response.status === 401 ? ": check --token (the line's CONSOLE_TOKEN)" : ""}`;
  const body = (await response.json().catch(() => null)) as { drillCallers?: unknown; drillSenders?: unknown } | null;
  if (!Array.isArray(body?.drillCallers)) return `the drill preflight at ${url} answered something else than a list of drill callers`;
  return { drillCallers: body.drillCallers.map(String), drillSenders: Array.isArray(body.drillSenders) ? body.drillSenders.map((s) => String(s).toLowerCase()) : [] };
}

function realCallers(scenario: Scenario, drillCallers: readonly string[]): string[] {
  return scenario.calls.map((call) => call.caller.number).filter((number) => !drillCallers.includes(number));
}

/** Senders of the scenario's emails the line does not treat as drills: their mail would page for real. */
function realSenders(scenario: Scenario, drillSenders: readonly string[]): string[] {
  return [...new Set(scenario.emails.map((email) => email.from.toLowerCase()).filter((from) => !drillSenders.includes(from)))];
}

/** `--smtp HOST:PORT --mail-to ADDRESS`: where a deployed line takes mail; null without --smtp. */
function mailDoorOption(options: DrillOptions): MailDoor | null | string {
  if (!options.smtp) return options.mailTo ? "--mail-to goes with --smtp HOST:PORT" : null;
  const match = /^(\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(options.smtp);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) return `--smtp takes HOST:PORT of the line's SMTP listener, not "${options.smtp}"`;
  if (!options.mailTo || !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(options.mailTo)) return "--smtp needs --mail-to ADDRESS: the address the line takes mail for (its SUPPORT_EMAIL)";
  return { host: match[1]!.replace(/^\[|\]$/g, ""), port, to: options.mailTo };
}

async function remoteTarget(options: DrillOptions, door: MailDoor | null): Promise<DrillTarget | string> {
  const authToken = process.env.TWILIO_AUTH_TOKEN;
  const accountSid = process.env.TWILIO_ACCOUNT_SID;
  if (!options.token) return "--target needs --token (the line's CONSOLE_TOKEN) to read outcomes and incidents";
  if (!authToken || !accountSid) return "--target needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN in the environment: the drill signs webhooks as Twilio does";
  const url = options.target!.replace(/\/+$/, "");
  const checked = await preflight(url, options.token);
  if (typeof checked === "string") return checked;
  console.log(`${url} treats ${checked.drillCallers.length} number(s) as drill callers${options.allowReal ? "; --allow-real: calls from other numbers are placed as REAL calls" : ""}`);
  const refuse = (scenario: Scenario) => {
    if (options.allowReal) return null;
    const real = realCallers(scenario, checked.drillCallers);
    if (real.length) return `would be a real call from ${real.join(", ")} (not a drill caller on this line: it would page the on-call and email the partner); pass --allow-real to place it`;
    const senders = realSenders(scenario, checked.drillSenders);
    if (senders.length) return `would be real mail from ${senders.join(", ")} (not in the line's DRILL_SENDERS: urgent mail would page the on-call); pass --allow-real to send it`;
    return null;
  };
  return {
    refuse,
    drillCallers: options.allowReal ? undefined : checked.drillCallers,
    lineFor: async () => url,
    apiToken: options.token,
    authToken,
    accountSid,
    lineNumber: options.lineNumber,
    capture: null,
    controlsStatusPage: false,
    controlsOnCall: false,
    ...(door && { mailDoor: () => door }),
  };
}

function usage(message: string): number {
  console.error(`emergency-line drill: ${message}`);
  return 2;
}
