import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { promisify } from "node:util";
import { XMLParser } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { drillCommand } from "../../src/drill/command.ts";
import { startLocalStack } from "../../src/drill/local.ts";
import { ACCOUNT_SID, AUTH_TOKEN, CONSOLE_TOKEN, startTestLine } from "../helpers/line.ts";
import { runDrill } from "../../src/simulator/scenario-runner.ts";
import { runLoad } from "../../src/simulator/load.ts";
import { htmlReport, junitReport, textReport } from "../../src/simulator/report.ts";
import { loadScenario, loadScenarios } from "../../src/simulator/scenario.ts";
import { REDIS_URL } from "../helpers/redis.ts";

let stack: Awaited<ReturnType<typeof startLocalStack>>;
beforeAll(async () => {
  stack = await startLocalStack({ env: { REDIS_URL } });
});
afterAll(async () => {
  await stack.close();
});

describe("the drill runner against the real line", () => {
  it("passes every bundled scenario, with the times the caller lived through", async () => {
    const report = await runDrill(loadScenarios(["drills"]), stack.target, "test");
    const failed = report.scenarios.filter((s) => !s.passed).map((s) => textReport({ ...report, scenarios: [s] }));
    expect(failed).toEqual([]);
    const voicemail = report.scenarios.find((s) => s.file.endsWith("04-voicemail.yaml"))!.calls[0]!;
    // Three engineers rang for 20 s, 12 s and a busy signal, with prompts between: minutes for the caller...
    expect(voicemail.timings.beepAt).toBeGreaterThan(60);
    // ...and well under a second of real time.
    expect(report.scenarios.find((s) => s.file.endsWith("04-voicemail.yaml"))!.realMs).toBeLessThan(5000);
    expect(voicemail.events.some((e) => e.party === "engineer 2" && e.text === "a personal voicemail picks up")).toBe(true);
  });

  it("fails a scenario whose expectation is wrong, saying which and what was seen", async () => {
    const dir = mkdtempSync(join(tmpdir(), "el-wrong-"));
    const file = join(dir, "wrong.yaml");
    writeFileSync(file, readFileSync("drills/02-third-engineer-accepts.yaml", "utf8").replace("engineer: 3", "engineer: 2").replace("outcome: connected", "outcome: voicemail"));
    const report = await runDrill([loadScenario(file)], stack.target, "test");
    expect(report.passed).toBe(false);
    const failures = report.scenarios[0]!.calls[0]!.checks.filter((c) => c.ok === false);
    expect(failures.map((f) => [f.name, f.expected, f.actual])).toEqual([
      ["outcome", "voicemail", "connected"],
      ["engineer", "engineer 2 (carrier bridged, line recorded)", "carrier bridged 3, line recorded 3"],
    ]);
    const text = textReport(report);
    expect(text).toContain("✘ outcome: expected voicemail, saw connected");
    expect(text).toContain("── ✘ engineers 1 and 2 miss, engineer 3 accepts (");
    expect(text).toContain("0 of 1 scenarios passed — failed: engineers 1 and 2 miss, engineer 3 accepts");

    const junit = new XMLParser({ ignoreAttributes: false }).parse(junitReport(report));
    expect(junit.testsuites.testsuite["@_failures"]).toBe("1");
    expect(junit.testsuites.testsuite.testcase.failure[0]["@_message"]).toBe("outcome: expected voicemail, saw connected");
    const html = htmlReport(report);
    expect(html).toContain("FAILED");
    expect(html).toContain('class="timeline"');
    expect(html).toContain("expected voicemail, saw connected");
  });

  it("runs many callers at once and checks each outcome", async () => {
    const result = await runLoad(stack.target, { concurrency: 8, calls: 24 });
    expect(result.failures).toEqual([]);
    expect(result.outcomes).toEqual({ connected: 16, voicemail: 8 });
    expect(result.latencyMs.p50).toBeGreaterThan(0);
    expect(result.latencyMs.p99).toBeGreaterThanOrEqual(result.latencyMs.p50);
  });
});

describe("npm run drill --target", () => {
  it("drives a deployed line over HTTP, and says what it cannot see from outside", async () => {
    // The deployed line treats scenario 02's caller as a drill; scenario 08's caller is a real one there.
    const deployed = await startTestLine("drill-target", { publicIsLocal: true, env: { DRILL_CALLERS: "+15557770002,+15557770099" } });
    const saved = { sid: process.env.TWILIO_ACCOUNT_SID, token: process.env.TWILIO_AUTH_TOKEN };
    process.env.TWILIO_ACCOUNT_SID = ACCOUNT_SID;
    process.env.TWILIO_AUTH_TOKEN = AUTH_TOKEN;
    try {
      const dir = mkdtempSync(join(tmpdir(), "el-target-"));
      const out = join(dir, "report.json");
      const printed: string[] = [];
      const spy = vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void printed.push(args.join(" ")));
      const code = await drillCommand(["drills/02-third-engineer-accepts.yaml", "drills/06-status-page-no-key.yaml", "drills/08-not-a-drill-caller.yaml", "drills/11-handover.yaml", "drills/12-override.yaml"], {
        lineNumber: "+15550009999",
        transcripts: false,
        target: deployed.line.url,
        token: CONSOLE_TOKEN,
        report: [`json:${out}`],
      }).finally(() => spy.mockRestore());
      expect(code).toBe(0);
      const report = JSON.parse(readFileSync(out, "utf8"));
      const [third, statusPage, real, ...onCall] = report.scenarios;
      // Said before anything was dialled, and in the summary.
      expect(printed[0]).toContain("treats 2 number(s) as drill callers");
      expect(real.skipped).toContain("would be a real call from +15557770008");
      expect(real.skipped).toContain("--allow-real");
      expect(printed.join("\n")).toContain("1 of 1 scenarios passed, 5 skipped");
      // A deployed line keeps its own clock and schedule: the handover and override drills cannot be arranged there.
      expect(onCall.map((s: { name: string; skipped: string }) => [s.name, s.skipped])).toEqual([
        ["handover, one minute before", "sets the line's clock (at:) and schedule (schedule:), which a drill cannot arrange on a deployed line"],
        ["handover, one minute after", "sets the line's clock (at:) and schedule (schedule:), which a drill cannot arrange on a deployed line"],
        ["an override rings first", "sets the line's clock (at:) and schedule (schedule:), which a drill cannot arrange on a deployed line"],
      ]);
      expect(third.passed).toBe(true);
      expect(third.calls[0].checks.find((c: { name: string }) => c.name === "mobilised")).toMatchObject({ ok: null, actual: "not visible on a deployed line" });
      expect(statusPage.skipped).toContain("cannot arrange on a deployed line");
      const incidents = (await deployed.twilio.api("/api/incidents")).json.incidents;
      expect(incidents.map((i: { outcome: string }) => i.outcome)).toEqual(["connected"]);
      // Load mode calls only from the line's drill callers; with none, it refuses before dialling.
      const noDrillCallers = await startTestLine("drill-target-none", { publicIsLocal: true, env: { DRILL_CALLERS: "" } });
      try {
        const refused = await drillCommand([], { lineNumber: "+15550009999", transcripts: false, target: noDrillCallers.line.url, token: CONSOLE_TOKEN, calls: "3" });
        expect(refused).toBe(2);
        expect((await noDrillCallers.twilio.api("/api/incidents")).json.incidents).toEqual([]);
      } finally {
        await noDrillCallers.stop();
      }
      const placedReal = await drillCommand(["drills/08-not-a-drill-caller.yaml"], { lineNumber: "+15550009999", transcripts: false, target: deployed.line.url, token: CONSOLE_TOKEN, allowReal: true });
      expect(placedReal).toBe(0);
      expect((await deployed.twilio.api("/api/incidents")).json.incidents.filter((i: { drill: boolean }) => !i.drill)).toHaveLength(1);
    } finally {
      process.env.TWILIO_ACCOUNT_SID = saved.sid;
      process.env.TWILIO_AUTH_TOKEN = saved.token;
      if (saved.sid === undefined) delete process.env.TWILIO_ACCOUNT_SID;
      if (saved.token === undefined) delete process.env.TWILIO_AUTH_TOKEN;
      await deployed.stop();
    }
  });
});

describe("npm run drill", () => {
  it("publishes its report to a line's console with --publish", async () => {
    const console_ = await startTestLine("drill-publish");
    try {
      const code = await drillCommand(["drills/03-failed-and-declined.yaml"], { lineNumber: "+15550009999", transcripts: false, publish: console_.line.url, token: CONSOLE_TOKEN });
      expect(code).toBe(0);
      const page = await (await fetch(`${console_.line.url}/console/drills`, { headers: { authorization: `Bearer ${CONSOLE_TOKEN}` } })).text();
      expect(page).toContain("a failed line and a declined whisper, then engineer 3");
    } finally {
      await console_.stop();
    }
  });

  it("exits non-zero on a bad scenario file, naming file, path and reason, before dialling anything", async () => {
    const dir = mkdtempSync(join(tmpdir(), "el-badfile-"));
    writeFileSync(join(dir, "bad.yaml"), "name: bad\ncalls:\n  - caller: { number: '+15557770001' }\n    engineers: []\n    expect: {}\n");
    const run = promisify(execFile)("npx", ["tsx", "src/cli.ts", "drill", dir], { env: { ...process.env, REDIS_URL } });
    const error = await run.then(() => null, (e: { code: number; stderr: string }) => e);
    expect(error?.code).toBe(2);
    expect(error?.stderr).toContain(`${join(dir, "bad.yaml")}: at calls.0.engineers: Too small`);
  });
});

describe("the simulator", () => {
  it("never imports the line's code: it speaks only HTTP and TwiML, so it can drive a deployed line", () => {
    const files = readdirSync("src/simulator", { recursive: true, encoding: "utf8" }).filter((name) => name.endsWith(".ts"));
    expect(files).toContain(join("verbs", "dial.ts"));
    for (const name of files) {
      const source = readFileSync(join("src/simulator", name), "utf8");
      const imports = [...source.matchAll(/from "(\.[^"]+)"/g)].map((m) => m[1]!);
      const outside = imports.filter((path) => relative(resolve("src/simulator"), resolve("src/simulator", dirname(name), path)).startsWith(".."));
      expect(outside, name).toEqual([]);
    }
  });
});
