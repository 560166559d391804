import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { ChaosOptions, DrillReport, DrillTarget } from "../simulator/scenario-runner.ts";
import { runDrill } from "../simulator/scenario-runner.ts";
import { runLoad, loadReportText } from "../simulator/load.ts";
import { htmlReport, jsonReport, junitReport, progressLine, textReport } from "../simulator/report.ts";
import { loadScenarios, ScenarioError } from "../simulator/scenario.ts";
import { startLocalStack } from "./local.ts";

export interface DrillOptions {
  report?: string[];
  target?: string;
  token?: string;
  lineNumber: string;
  concurrency?: string;
  calls?: string;
  transcripts: boolean;
  publish?: string;
  chaos?: boolean;
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
    try {
      scenarios = loadScenarios(paths.length ? paths : ["drills"]);
    } catch (error) {
      if (error instanceof ScenarioError) {
        console.error(`refused: bad scenario file\n${error.message}`);
        return 2;
      }
      throw error;
    }
    if (scenarios.length === 0) return usage(`no scenario files found in ${paths.join(", ") || "drills"}`);
  }

  const remote = options.target ? remoteTarget(options) : null;
  if (typeof remote === "string") return usage(remote);
  const local = remote ? null : await startLocalStack({ redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379" });
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
    console.log(`drilling ${scenarios.length} scenarios against ${label}`);
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
  if (values.length % 2 !== 0) return "--report takes a format and a file: --report json|junit|html FILE";
  const pairs: { format: keyof typeof WRITERS; file: string }[] = [];
  for (let i = 0; i < values.length; i += 2) {
    const format = values[i]!;
    if (!(format in WRITERS)) return `--report format must be json, junit or html, not "${format}"`;
    pairs.push({ format: format as keyof typeof WRITERS, file: values[i + 1]! });
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

function remoteTarget(options: DrillOptions): DrillTarget | string {
  const authToken = process.env.TWILIO_AUTH_TOKEN;
  const accountSid = process.env.TWILIO_ACCOUNT_SID;
  if (!options.token) return "--target needs --token (the line's CONSOLE_TOKEN) to read outcomes and incidents";
  if (!authToken || !accountSid) return "--target needs TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN in the environment: the drill signs webhooks as Twilio does";
  const url = options.target!.replace(/\/+$/, "");
  return {
    lineFor: async () => url,
    apiToken: options.token,
    authToken,
    accountSid,
    lineNumber: options.lineNumber,
    capture: null,
    controlsStatusPage: false,
  };
}

function usage(message: string): number {
  console.error(`emergency-line drill: ${message}`);
  return 2;
}
