import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { drillCommand } from "../../src/drill/command.ts";
import { startLocalStack } from "../../src/drill/local.ts";
import { textReport } from "../../src/simulator/report.ts";
import { runDrill, type DrillTarget } from "../../src/simulator/scenario-runner.ts";
import { loadScenario, loadScenarios } from "../../src/simulator/scenario.ts";
import { REDIS_URL } from "../helpers/redis.ts";

/** The drill as unkind as the network, against the real line started in-process. */
let stack: Awaited<ReturnType<typeof startLocalStack>>;
beforeAll(async () => {
  stack = await startLocalStack({ env: { REDIS_URL } });
});
afterAll(async () => {
  await stack.close();
});

const dir = mkdtempSync(join(tmpdir(), "el-chaos-"));
function scenarioFile(name: string, yaml: string) {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return loadScenario(file);
}

const ORDERS = 8;

describe("--chaos", () => {
  it("passes every bundled scenario with its end-of-call callbacks in a seeded subset of orders, every webhook twice", async () => {
    // All 24 orders of a voicemail take about 10 s here; a seeded 8 keep the suite quick.
    const report = await runDrill(loadScenarios(["drills"]), stack.target, "test", undefined, { seed: 11, orders: ORDERS });
    const failed = report.scenarios.filter((s) => !s.passed).map((s) => textReport({ ...report, scenarios: [s] }));
    expect(failed).toEqual([]);
    const runsOf = (file: string) => report.scenarios.filter((s) => s.file.endsWith(file));
    // A voicemail's four callbacks have 24 orders: 8 of them run, each with a fresh call, each named.
    const voicemail = runsOf("04-voicemail.yaml");
    expect(voicemail.map((s) => s.variant?.split(":")[0])).toEqual(Array.from({ length: ORDERS }, (_, i) => `order ${i + 1} of ${ORDERS}`));
    const orders = voicemail.map((s) => s.calls[0]!.callbacks.map((c) => c.kind).join(">"));
    expect(new Set(orders).size).toBe(ORDERS);
    expect(new Set(voicemail.map((s) => s.calls[0]!.callSid)).size).toBe(ORDERS);
    // A hang-up while the last engineer rings: the Dial action before, then after, the status callback.
    expect(runsOf("10-hang-up-while-last-engineer-rings.yaml").map((s) => s.calls[0]!.callbacks.map((c) => c.path))).toEqual([
      ["/voice/dial", "/voice/status"],
      ["/voice/status", "/voice/dial"],
    ]);
    // A call with only a status callback has one order.
    expect(runsOf("01-engineer-1-accepts.yaml")).toHaveLength(1);
    const webhooks = voicemail[0]!.calls[0]!.webhooks.map((w) => w.url);
    expect(webhooks.filter((url) => url === "/voice/incoming")).toHaveLength(2);
  });

  it("names the order of each failure", async () => {
    const wrong = scenarioFile("wrong.yaml", "name: wrong on purpose\ncalls:\n  - caller: { number: '+15557770041', hangUpAfter: 20 }\n    engineers: [{ does: no-answer }]\n    expect: { outcome: voicemail }\n");
    const report = await runDrill([wrong], stack.target, "test", undefined, { seed: 1, orders: "all" });
    expect(report.passed).toBe(false);
    const text = textReport(report);
    expect(text).toContain("── ✘ wrong on purpose [order 2 of 2: status callback → action after the hang-up; every webhook twice;");
    expect(text).toMatch(/failed: wrong on purpose \[order 1 of 2: action after the hang-up → status callback; every webhook twice\], wrong on purpose \[order 2 of 2/);
  });

  it("refuses bad chaos options before dialling anything", async () => {
    const options = { lineNumber: "+15550009999", transcripts: false };
    expect(await drillCommand(["drills/01-engineer-1-accepts.yaml"], { ...options, chaos: true, orders: "0" })).toBe(2);
    expect(await drillCommand(["drills/01-engineer-1-accepts.yaml"], { ...options, chaos: true, seed: "x" })).toBe(2);
    expect(await drillCommand(["drills/01-engineer-1-accepts.yaml"], { ...options, seed: "3" })).toBe(2);
  });
});

describe("no unexpected calls", () => {
  it("fails a scenario when the line dials an engineer it does not describe", async () => {
    const short = scenarioFile("short.yaml", "name: one engineer listed\ncalls:\n  - caller: { number: '+15557770042', hangUpAfter: 60 }\n    engineers: [{ does: no-answer }]\n    expect: { outcome: abandoned }\n");
    const report = await runDrill([short], stack.target, "test");
    const carrier = report.scenarios[0]!.calls[0]!.checks.find((c) => c.name === "carrier");
    expect(carrier).toMatchObject({ ok: false });
    expect(carrier!.actual).toContain("the line dialled +15550001002 as engineer 2, which the scenario does not describe (it lists 1)");
  });

  it("fails on a page or an email more than the outcome implies, though the scenario does not count them", async () => {
    const capture = stack.target.capture!;
    // A line that pages and mails twice, as seen by the drill: every capture doubled.
    const doubled: DrillTarget = {
      ...stack.target,
      capture: {
        get posts() {
          return capture.posts.flatMap((post) => [post, post]);
        },
        get mails() {
          return capture.mails.flatMap((mail) => [mail, mail]);
        },
      },
    };
    const plain = scenarioFile("plain.yaml", "name: counts by default\ncalls:\n  - caller: { number: '+15557770043' }\n    engineers: [{ does: accept, answerAfter: 3 }]\n    expect: { outcome: connected }\n");
    const report = await runDrill([plain], doubled, "test");
    const failures = report.scenarios[0]!.calls[0]!.checks.filter((c) => c.ok === false).map((c) => `${c.name}: expected ${c.expected}, saw ${c.actual}`);
    expect(failures).toEqual(["mobilised: expected 1 time(s), saw 2 time(s) via /drill (1 unexpected page)", "emails sent: expected 1, saw 2 (1 unexpected email)"]);
  });
});

describe("what callers and engineers really do, against the line", () => {
  it("reaches an engineer for a withheld number, the engineer pressing * to hear the whisper again, then 1", async () => {
    const withheld = scenarioFile(
      "withheld.yaml",
      "name: withheld\ncalls:\n  - caller: { number: anonymous }\n    engineers: [{ does: accept, answerAfter: 4, before: ['*'] }]\n    expect: { outcome: connected, engineer: 1, drill: false, email: { to: support@platform.example } }\n",
    );
    const report = await runDrill([withheld], stack.target, "test");
    const call = report.scenarios[0]!.calls[0]!;
    expect(call.checks.filter((c) => c.ok === false)).toEqual([]);
    const engineer = call.events.filter((e) => e.party === "engineer 1");
    expect(engineer.filter((e) => e.kind === "presses").map((e) => e.text)).toEqual(["*", "1"]);
    expect(engineer.filter((e) => e.kind === "hears").map((e) => e.text).join(" ")).toContain("withheld number");
  });
});
