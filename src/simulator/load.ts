import { SimulatedCall } from "./carrier.ts";
import type { DrillTarget } from "./scenario-runner.ts";
import { callerSchema, engineerSchema, scenarioSchema, type Scenario } from "./scenario.ts";
import { eventually } from "./wait.ts";

/**
 * Many partners calling at once, as in a major outage. Calls cycle through three shapes with known
 * outcomes, so the run checks each call's outcome as well as measuring the line's webhook latency.
 */
const SHAPES = [
  { outcome: "connected", engineers: [{ does: "accept", answerAfter: 4, talkFor: 60 }] },
  { outcome: "connected", engineers: [{ does: "no-answer" }, { does: "accept", answerAfter: 6, talkFor: 60 }] },
  { outcome: "voicemail", engineers: [{ does: "no-answer" }, { does: "busy" }, { does: "voicemail", answerAfter: 10 }] },
] as const;

export interface LoadResult {
  calls: number;
  concurrency: number;
  realMs: number;
  outcomes: Record<string, number>;
  failures: string[];
  webhooks: number;
  latencyMs: { p50: number; p95: number; p99: number; max: number };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function runLoad(target: DrillTarget, { concurrency, calls }: { concurrency: number; calls: number }): Promise<LoadResult> {
  const scenario: Scenario = { ...scenarioSchema.parse({ name: "load", calls: [{ caller: { number: "+15557000000" }, engineers: [{ does: "busy" }], expect: {} }] }), file: "(generated)" };
  const url = await target.lineFor(scenario);
  const latencies: number[] = [];
  const outcomes: Record<string, number> = {};
  const failures: string[] = [];
  let next = 0;
  const started = Date.now();

  async function worker() {
    while (next < calls) {
      const index = next++;
      const shape = SHAPES[index % SHAPES.length]!;
      // Against a deployed line, only the numbers it treats as drills: any other would be a real call there.
      const number = target.drillCallers?.length ? target.drillCallers[index % target.drillCallers.length]! : `+1555800${String(index).padStart(4, "0")}`;
      const caller = callerSchema.parse({ number, drill: true, voicemail: { seconds: 20, says: "load test" } });
      const call = new SimulatedCall({ target: url, accountSid: target.accountSid, authToken: target.authToken, lineNumber: target.lineNumber }, caller, shape.engineers.map((e) => engineerSchema.parse(e)));
      const result = await call.run();
      for (const webhook of result.webhooks) latencies.push(webhook.ms);
      failures.push(...result.errors.map((error) => `${result.callSid}: ${error}`));
      const view = await eventually(async () => {
        const response = await fetch(`${url}/api/calls/${result.callSid}`, { headers: { authorization: `Bearer ${target.apiToken}` } });
        const body = response.ok ? ((await response.json()) as { outcome: string | null; incidentId: string | null }) : null;
        return body?.outcome && body.incidentId ? body : null;
      }, 5_000);
      const outcome = view?.outcome ?? "none";
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      if (outcome !== shape.outcome) failures.push(`${result.callSid}: expected ${shape.outcome}, line recorded ${outcome}`);
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, calls) }, worker));
  const sorted = latencies.sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    calls,
    concurrency,
    realMs: Date.now() - started,
    outcomes,
    failures,
    webhooks: sorted.length,
    latencyMs: { p50: round(percentile(sorted, 50)), p95: round(percentile(sorted, 95)), p99: round(percentile(sorted, 99)), max: round(sorted.at(-1) ?? 0) },
  };
}

export function loadReportText(result: LoadResult, label: string): string {
  const outcomes = Object.entries(result.outcomes).map(([outcome, count]) => `${outcome} ${count}`).join(", ");
  return [
    `load against ${label}: ${result.calls} calls, ${result.concurrency} at once, ${result.realMs} ms real (${((result.calls * 1000) / result.realMs).toFixed(1)} calls/s)`,
    `outcomes: ${outcomes}`,
    `webhooks: ${result.webhooks}, latency p50 ${result.latencyMs.p50} ms, p95 ${result.latencyMs.p95} ms, p99 ${result.latencyMs.p99} ms, max ${result.latencyMs.max} ms`,
    result.failures.length ? `FAILED: ${result.failures.length} call(s)\n  ${result.failures.slice(0, 20).join("\n  ")}` : "every call reached the outcome its caller and engineers made for it",
  ].join("\n");
}
