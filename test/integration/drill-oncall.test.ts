import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { drillCommand } from "../../src/drill/command.ts";
import { startLocalStack } from "../../src/drill/local.ts";
import { junitReport, textReport } from "../../src/simulator/report.ts";
import { runDrill, type DrillTarget, type ScenarioReport } from "../../src/simulator/scenario-runner.ts";
import { loadScenarioFile, loadScenarios } from "../../src/simulator/scenario.ts";
import { REDIS_URL } from "../helpers/redis.ts";

/** Drills of who is on call: the line's clock from `at:`, its schedule from `schedule:`, overrides put on it first. */
let stack: Awaited<ReturnType<typeof startLocalStack>>;
beforeAll(async () => {
  stack = await startLocalStack({ env: { REDIS_URL } });
});
afterAll(async () => {
  await stack.close();
});

// Scenarios written here find the bundled schedule as they would in drills/: schedules/handover.yaml.
const dir = mkdtempSync(join(tmpdir(), "el-drill-oncall-"));
mkdirSync(join(dir, "schedules"));
copyFileSync("drills/schedules/handover.yaml", join(dir, "schedules", "handover.yaml"));
function scenarios(name: string, yaml: string) {
  writeFileSync(join(dir, name), yaml);
  return loadScenarioFile(join(dir, name));
}
const ringsOf = (report: ScenarioReport) => report.calls.map((call) => call.checks.find((check) => check.name === "rings"));
const failuresOf = (report: { scenarios: ScenarioReport[] }) => report.scenarios.filter((s) => !s.passed).map((s) => textReport({ startedAt: "", target: "test", realMs: 0, passed: false, scenarios: [s] }));

describe("the bundled on-call drills", () => {
  it("rings the outgoing pair one minute before the Monday 09:00 London handover and the incoming pair one minute after", async () => {
    const report = await runDrill(loadScenarioFile("drills/11-handover.yaml"), stack.target, "test");
    expect(failuresOf(report)).toEqual([]);
    const [before, after] = report.scenarios;
    expect(ringsOf(before!)).toEqual([{ name: "rings", ok: true, expected: "Margaret (+15550002001), Katherine (+15550002002)", actual: "Margaret (+15550002001), Katherine (+15550002002)" }]);
    expect(ringsOf(after!)).toEqual([{ name: "rings", ok: true, expected: "Katherine (+15550002002), Dennis (+15550002003)", actual: "Katherine (+15550002002), Dennis (+15550002003)" }]);
    // The line lived the call on the scenario's day: its incident is dated by the line's clock.
    expect(after!.calls[0]!.incidentId).toMatch(/^INC-20270329-/);
  });

  it("fails a handover drill that expects the wrong engineers, saying who rang", async () => {
    const text = readFileSync("drills/11-handover.yaml", "utf8").split("\n---\n")[1]!.replace("rings: [Katherine, Dennis]", "rings: [Margaret, Katherine]");
    const wrong = scenarios("wrong.yaml", text);
    const report = await runDrill(wrong, stack.target, "test");
    expect(report.passed).toBe(false);
    expect(report.scenarios[0]!.calls[0]!.checks.filter((c) => c.ok === false)).toEqual([
      { name: "rings", ok: false, expected: "Margaret (+15550002001), Katherine (+15550002002)", actual: "Katherine (+15550002002), Dennis (+15550002003)" },
    ]);
  });

  it("rings the override's engineer first", async () => {
    const report = await runDrill(loadScenarioFile("drills/12-override.yaml"), stack.target, "test");
    expect(failuresOf(report)).toEqual([]);
    expect(ringsOf(report.scenarios[0]!)[0]).toMatchObject({ ok: true, actual: "Margaret (+15550002001), Dennis (+15550002003)" });
  });
});

describe("scenarios that arrange the on-call", () => {
  const AT = "2027-05-05T10:00:00Z";
  /** One call whose engineers miss but the last, who accepts: `rings` says who the line dials, in order. */
  const call = (rings: string[]) =>
    `calls:\n  - caller: { number: "+15557770131" }\n    engineers: [${rings.map((_, i) => (i === rings.length - 1 ? "{ does: accept }" : "{ does: no-answer }")).join(", ")}]\n    expect: { rings: ${JSON.stringify(rings)}, outcome: connected, engineer: ${rings.length} }\n`;
  const linusCovers = `overrides: [{ level: 1, engineer: Linus, from: "2027-05-05T09:00:00Z", to: "2027-05-05T11:00:00Z" }]\n`;

  it("put an override on the fixed roster, on a line of their own: a scenario beside it at the same instant is not moved", async () => {
    // Linus covers level 1, so level 3 (Linus, already rung) is skipped: the roster has nobody else there.
    const [overridden] = scenarios("override-roster.yaml", `name: Linus covers level 1\nat: "${AT}"\n${linusCovers}${call(["+15550001003", "+15550001002"])}`);
    const [plain] = scenarios("plain-roster.yaml", `name: the roster as it is\nat: "${AT}"\n${call(["+15550001001", "+15550001002", "+15550001003"])}`);
    expect(failuresOf(await runDrill([overridden!], stack.target, "test"))).toEqual([]);
    // Afterwards, on the same stack and at the same instant: the override stayed on its own line.
    expect(failuresOf(await runDrill([plain!], stack.target, "test"))).toEqual([]);
  });

  it("report an override the line refuses, and place no call", async () => {
    const [refused] = scenarios("refused.yaml", `name: nobody called Zed\nat: "${AT}"\n${linusCovers.replace("Linus", "Zed")}${call(["+15550001003"])}`);
    const report = await runDrill([refused!], stack.target, "test");
    expect(report.passed).toBe(false);
    expect(report.scenarios[0]!.calls).toEqual([]);
    expect(report.scenarios[0]!.error).toMatch(/^the line refused overrides\.0 \(Zed at level 1\): HTTP 400 .*no engineer named Zed/);
    expect(textReport(report)).toContain("✘ not set up: the line refused overrides.0 (Zed at level 1)");
    expect(junitReport(report)).toContain('type="setup"');
  });

  it("start every chaos run at the scenario's instant, however long it took to get there", async () => {
    // One second before the handover, on a line that takes longer than that to set up (as a loaded machine
    // might, or the runs of a chaos batch before this one): the clock must start when the calls do.
    const voicemail = readFileSync("drills/11-handover.yaml", "utf8")
      .split("\n---\n")[0]!
      .replace("2027-03-29T08:59:00+01:00", "2027-03-29T08:59:59+01:00")
      .replace(/calls:[\s\S]*/, `calls:\n  - caller: { number: "+15557770132", voicemail: { seconds: 20, says: "call me" } }\n    engineers: [{ does: no-answer }, { does: no-answer }]\n    expect: { rings: [Margaret, Katherine], outcome: voicemail }\n`);
    const slow: DrillTarget = { ...stack.target, lineFor: async (scenario) => stack.target.lineFor(scenario).then((url) => setTimeout(1500, url)) };
    const report = await runDrill(scenarios("chaos.yaml", voicemail), slow, "test", undefined, { seed: 3, orders: 4 });
    expect(report.scenarios).toHaveLength(4);
    expect(failuresOf(report)).toEqual([]);
  });
});

describe("npm run drill with on-call scenarios", () => {
  it("refuses a scenario whose schedule the line could not read, before dialling anything", async () => {
    const folder = mkdtempSync(join(tmpdir(), "el-bad-schedule-"));
    mkdirSync(join(folder, "schedules"));
    writeFileSync(join(folder, "schedules", "team.yaml"), 'timeZone: Europe/Londres\nengineers: { Ada: { number: "+15550001001" } }\nlevels: [ { layers: [ { engineers: [Ada], shift: 1 week, handover: Monday 09:00, start: 2027-03-01 } ] } ]\n');
    writeFileSync(join(folder, "drill.yaml"), `name: bad team\nschedule: schedules/team.yaml\ncalls:\n  - caller: { number: "+15557770001" }\n    engineers: [{ does: accept }]\n    expect: {}\n`);
    const errors: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((...args: unknown[]) => void errors.push(args.join(" ")));
    const code = await drillCommand([folder], { lineNumber: "+15550009999", transcripts: false }).finally(() => spy.mockRestore());
    expect(code).toBe(2);
    expect(errors.join("\n")).toContain(`${join(folder, "drill.yaml")}: at schedule: ${join(folder, "schedules", "team.yaml")}: at timeZone: an IANA time zone`);
  });

  it("loads the bundled drills with their schedules", () => {
    expect(loadScenarios(["drills"]).filter((s) => s.schedule).map((s) => s.schedule)).toEqual(Array(3).fill(join("drills", "schedules", "handover.yaml")));
  });
});
