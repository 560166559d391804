import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseDuration } from "../../src/simulator/email-scenario.ts";
import { span } from "../../src/simulator/mail.ts";
import { loadScenario, loadScenarioFile, loadScenarios, ScenarioError } from "../../src/simulator/scenario.ts";

const dir = mkdtempSync(join(tmpdir(), "el-scenarios-"));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return (error as Error).message;
  }
  throw new Error("expected the scenario to be refused");
}

describe("scenario files", () => {
  it("loads every bundled drill", () => {
    const scenarios = loadScenarios(["drills"]);
    const files = readdirSync("drills").filter((name) => extname(name) === ".yaml").sort().map((name) => join("drills", name));
    expect([...new Set(scenarios.map((s) => s.file))]).toEqual(files);
    expect(scenarios.some((s) => s.calls.length >= 2)).toBe(true);
    // The handover drill holds two scenarios, one each side of the handover.
    expect(scenarios.filter((s) => s.file === "drills/11-handover.yaml").map((s) => s.at)).toEqual(["2027-03-29T08:59:00+01:00", "2027-03-29T09:01:00+01:00"]);
  });

  it("refuses a bad file with the file, the path inside it and the reason", () => {
    const path = file("bad.yaml", "name: x\ncalls:\n  - caller: { number: '555-1234' }\n    engineers: [{ does: teleport }]\n    expect: { outcome: connected }\n");
    const message = refusal(() => loadScenario(path));
    expect(message).toContain(`${path}: at calls.0.caller.number: an E.164 phone number`);
    expect(message).toMatch(new RegExp(`${path}: at calls\\.0\\.engineers\\.0\\.does: .*`));
  });

  it("refuses unknown keys, so a typo in an expectation cannot silently pass", () => {
    const path = file("typo.json", JSON.stringify({ name: "x", calls: [{ caller: { number: "+15557770001" }, engineers: [{ does: "busy" }], expect: { outcom: "connected" } }] }));
    expect(refusal(() => loadScenario(path))).toContain(`${path}: at calls.0.expect: Unrecognized key: "outcom"`);
  });

  it("refuses a file that is not YAML, naming it", () => {
    const path = file("broken.yaml", "name: [unclosed\n");
    expect(refusal(() => loadScenario(path))).toMatch(new RegExp(`^${path}: cannot read:`));
  });

  it("reports every bad file of a folder at once", () => {
    const folder = mkdtempSync(join(tmpdir(), "el-folder-"));
    writeFileSync(join(folder, "a.yaml"), "name: a\n");
    writeFileSync(join(folder, "b.yaml"), readFileSync("drills/01-engineer-1-accepts.yaml", "utf8"));
    writeFileSync(join(folder, "c.yaml"), "calls: []\n");
    const message = refusal(() => loadScenarios([folder]));
    expect(message).toContain("a.yaml: at calls");
    expect(message).toContain("c.yaml: at name");
    expect(message).not.toContain("b.yaml");
  });
});

describe("callers as they really are", () => {
  it("accepts a withheld caller ID (anonymous, unknown) as a real, non-drill call, and refuses it as a drill caller or partner", () => {
    const ok = file("withheld.yaml", "name: w\ncalls:\n  - caller: { number: anonymous }\n    engineers: [{ does: accept, before: ['*'] }]\n    expect: { emails: 1 }\n");
    const caller = loadScenario(ok).calls[0]!.caller;
    expect(caller).toMatchObject({ number: "anonymous", drill: false });
    expect(loadScenario(ok).calls[0]!.engineers[0]).toMatchObject({ does: "accept", before: ["*"] });
    const drill = file("withheld-drill.yaml", "name: w\ncalls:\n  - caller: { number: unknown, drill: true }\n    engineers: [{ does: busy }]\n    expect: {}\n");
    expect(refusal(() => loadScenario(drill))).toContain(`${drill}: at calls.0.caller.drill: cannot be true for a withheld number`);
    const other = file("private.yaml", "name: w\ncalls:\n  - caller: { number: private }\n    engineers: [{ does: busy }]\n    expect: {}\n");
    expect(refusal(() => loadScenario(other))).toContain(`${other}: at calls.0.caller.number`);
  });
});

describe("drilling the on-call: at, schedule, overrides, rings", () => {
  const folder = mkdtempSync(join(tmpdir(), "el-oncall-scenarios-"));
  writeFileSync(join(folder, "team.yaml"), 'engineers:\n  Ada: { number: "+15550001001" }\n  Grace: { number: "+15550001002" }\nlevels: [ { layers: [ { engineers: [Ada, Grace], shift: 1 week, handover: Monday 09:00, start: 2027-03-01 } ] } ]\n');
  const write = (name: string, text: string) => {
    writeFileSync(join(folder, name), text);
    return join(folder, name);
  };
  const call = (expect: string) => `calls:\n  - caller: { number: "+15557770001" }\n    engineers: [{ does: no-answer }, { does: accept }]\n    expect: ${expect}\n`;

  it("reads the schedule beside the scenario file, and rings by the schedule's names or by numbers", () => {
    const path = write("ok.yaml", `name: ok\nat: 2027-03-29T08:59:00+01:00\nschedule: team.yaml\noverrides:\n  - { level: 1, engineer: Grace, from: "2027-03-29T08:00:00+01:00", to: "2027-03-29T10:00:00Z" }\n${call('{ rings: [Grace, "+15550001001"] }')}`);
    const scenario = loadScenario(path);
    expect(scenario).toMatchObject({ at: "2027-03-29T08:59:00+01:00", schedule: join(folder, "team.yaml"), phoneBook: { Ada: "+15550001001", Grace: "+15550001002" } });
    expect(scenario.overrides).toEqual([{ level: 1, engineer: "Grace", from: "2027-03-29T08:00:00+01:00", to: "2027-03-29T10:00:00Z" }]);
    expect(scenario.calls[0]!.expect.rings).toEqual(["Grace", "+15550001001"]);
    // Without them: no instant, no schedule, no overrides.
    const plain = loadScenario("drills/01-engineer-1-accepts.yaml");
    expect([plain.at, plain.schedule, plain.overrides]).toEqual([undefined, undefined, []]);
  });

  it("refuses an instant without its offset, and overrides without an instant", () => {
    const bare = write("bare.yaml", `name: bare\nat: "2027-03-29T08:59:00"\n${call("{}")}`);
    expect(refusal(() => loadScenario(bare))).toContain(`${bare}: at at: an ISO 8601 instant with an offset`);
    const noAt = write("no-at.yaml", `name: no at\noverrides: [{ level: 1, engineer: Ada, from: "2027-03-29T08:00:00Z", to: "2027-03-29T09:00:00Z" }]\n${call("{}")}`);
    expect(refusal(() => loadScenario(noAt))).toContain(`${noAt}: at overrides: need at:`);
    const backwards = write("backwards.yaml", `name: b\nat: "2027-03-29T08:00:00Z"\noverrides: [{ level: 4, engineer: Ada, from: "2027-03-29T09:00:00Z", to: "2027-03-29T08:00:00Z" }]\n${call("{}")}`);
    const message = refusal(() => loadScenario(backwards));
    expect(message).toContain(`${backwards}: at overrides.0.level:`);
    expect(message).toContain(`${backwards}: at overrides.0.to: must be after from`);
  });

  it("refuses names the schedule does not have, names without a schedule, and a schedule that is not there", () => {
    const unknown = write("unknown.yaml", `name: u\nat: "2027-03-29T08:00:00Z"\nschedule: team.yaml\noverrides: [{ level: 1, engineer: Linus, from: "2027-03-29T07:00:00Z", to: "2027-03-29T09:00:00Z" }]\n${call("{ rings: [Ada, Margaret] }")}`);
    const message = refusal(() => loadScenario(unknown));
    expect(message).toContain(`${unknown}: at overrides.0.engineer: "Linus" is not an engineer of the schedule (Ada, Grace)`);
    expect(message).toContain(`${unknown}: at calls.0.expect.rings.1: "Margaret" is neither an E.164 number nor an engineer of the schedule (Ada, Grace)`);
    const nameless = write("nameless.yaml", `name: n\n${call("{ rings: [Ada] }")}`);
    expect(refusal(() => loadScenario(nameless))).toContain(`${nameless}: at calls.0.expect.rings.0: "Ada" is not an E.164 number (names need the scenario's schedule:)`);
    const missing = write("missing.yaml", `name: m\nschedule: nowhere.yaml\n${call("{}")}`);
    expect(refusal(() => loadScenario(missing))).toContain(`${missing}: at schedule: cannot read ${join(folder, "nowhere.yaml")}`);
    const notSchedule = write("not-schedule.yaml", `name: m\nschedule: ok.yaml\n${call("{}")}`);
    expect(refusal(() => loadScenario(notSchedule))).toContain(`${notSchedule}: at schedule: ${join(folder, "ok.yaml")} is not a schedule file: engineers:`);
  });

  it("holds several scenarios in one YAML file, one per document, naming the document of a bad one", () => {
    const two = write("two.yaml", `name: before\nat: "2027-03-29T07:59:00Z"\n${call("{}")}---\nname: after\nat: "2027-03-29T08:01:00"\n${call("{}")}`);
    expect(refusal(() => loadScenarioFile(two))).toBe(`${two} (scenario 2): at at: an ISO 8601 instant with an offset, e.g. 2027-03-29T08:59:00+01:00`);
    writeFileSync(two, readFileSync(two, "utf8").replace('"2027-03-29T08:01:00"', '"2027-03-29T08:01:00Z"'));
    expect(loadScenarioFile(two).map((s) => [s.name, s.file])).toEqual([["before", two], ["after", two]]);
    expect(refusal(() => loadScenario(two))).toBe(`${two}: holds 2 scenarios where one was expected`);
    const empty = write("empty.yaml", "");
    expect(refusal(() => loadScenarioFile(empty))).toBe(`${empty}: holds no scenario (the file is empty)`);
  });
});

describe("the drill report expectation", () => {
  it("defaults to one report for a drill caller whose partner has an email and whose call raises an incident, else none", () => {
    const scenario = (caller: string, expect = "{ outcome: abandoned }") =>
      loadScenario(file(`report-${Math.random().toString(36).slice(2)}.yaml`, `name: r\ncalls:\n  - caller: ${caller}\n    engineers: [{ does: no-answer }]\n    expect: ${expect}\n`)).calls[0]!.expect.drillReport;
    expect(scenario(`{ number: "+15557770001", partner: { name: Acme, email: it@acme.test } }`)).toBe(true);
    expect(scenario(`{ number: "+15557770001", drill: false, partner: { name: Acme, email: it@acme.test } }`)).toBe(false);
    expect(scenario(`{ number: "+15557770001", partner: { name: Acme } }`)).toBe(false);
    expect(scenario(`{ number: "+15557770001", partner: { name: Acme, email: it@acme.test } }`, "{ incident: false }")).toBe(false);
    expect(scenario(`{ number: "+15557770001" }`, "{ drillReport: true }")).toBe(true);
  });
});

describe("emails in a scenario", () => {
  const mailScenario = (name: string, emails: unknown[], calls: unknown[] = []) =>
    file(name, JSON.stringify({ name, ...(calls.length && { calls }), emails }));
  const call = { id: "call", caller: { number: "+15557770015" }, engineers: [{ does: "busy" }], expect: {} };

  it("loads the bundled mail drills: emails alone or with calls, at as a duration, headers, replies to a call or an email", () => {
    const byFile = (file: string) => loadScenarios([file])[0]!;
    const late = byFile("drills/16-hold-runs-out-then-reply.yaml");
    expect(late.emails[0]).toMatchObject({ replyTo: "call", at: 73 * 3600, drill: true, expect: { before: { caseState: "closed", closingSent: true }, incident: "call" } });
    expect(late.calls[0]!.id).toBe("call");
    const loop = byFile("drills/17-auto-reply-no-loop.yaml");
    expect(loop.calls).toEqual([]);
    expect(loop.emails.map((e) => [e.replyTo, e.headers, e.expect.incident])).toEqual([
      [undefined, {}, true],
      ["question", { "Auto-Submitted": "auto-replied" }, false],
      [undefined, { "X-Autoreply": "yes" }, false],
    ]);
    expect(byFile("drills/15-reply-with-trace-ids.yaml").emails[0]!.at).toBe(20 * 60);
  });

  it("refuses a replyTo naming nothing in the scenario, itself, or an email delivered later, with the path", () => {
    const base = { from: "it@acme.example", subject: "s", body: "b" };
    const nothing = mailScenario("unknown-reply.json", [{ ...base, replyTo: "cal" }], [call]);
    expect(refusal(() => loadScenario(nothing))).toBe(`${nothing}: at emails.0.replyTo: "cal" is no call or email of this scenario (ids: call)`);
    const self = mailScenario("self-reply.json", [{ ...base, id: "a", replyTo: "a" }]);
    expect(refusal(() => loadScenario(self))).toBe(`${self}: at emails.0.replyTo: an email cannot reply to itself`);
    const later = mailScenario("later-reply.json", [{ ...base, replyTo: "b", at: "1h" }, { ...base, id: "b", at: "2h" }]);
    expect(refusal(() => loadScenario(later))).toContain(`${later}: at emails.0.replyTo: "b" is delivered after this email`);
    const joins = mailScenario("unknown-incident.json", [{ ...base, expect: { incident: "other" } }], [call]);
    expect(refusal(() => loadScenario(joins))).toBe(`${joins}: at emails.0.expect.incident: "other" is no call or email of this scenario (ids: call)`);
    const twice = mailScenario("twice.json", [{ ...base, id: "call" }], [call]);
    expect(refusal(() => loadScenario(twice))).toBe(`${twice}: at emails.0.id: "call" is already the id of calls.0`);
  });

  it("refuses unknown keys, a bad sender address, a bad at: and a header the simulator writes, each with its path", () => {
    const base = { from: "it@acme.example", subject: "s", body: "b" };
    const typo = mailScenario("typo.json", [{ ...base, expect: { acknowleged: true } }]);
    expect(refusal(() => loadScenario(typo))).toContain(`${typo}: at emails.0.expect: Unrecognized key: "acknowleged"`);
    const key = mailScenario("key.json", [{ ...base, cc: "x@y.example" }]);
    expect(refusal(() => loadScenario(key))).toContain(`${key}: at emails.0: Unrecognized key: "cc"`);
    const address = mailScenario("address.json", [{ ...base, from: "it at acme" }]);
    expect(refusal(() => loadScenario(address))).toBe(`${address}: at emails.0.from: an email address such as it@globex.example`);
    const at = mailScenario("at.json", [{ ...base, at: "73 hours" }]);
    expect(refusal(() => loadScenario(at))).toContain(`${at}: at emails.0.at: seconds after the scenario's start`);
    const header = mailScenario("header.json", [{ ...base, headers: { "Message-ID": "<x@y>" } }]);
    expect(refusal(() => loadScenario(header))).toContain(`${header}: at emails.0.headers.Message-ID: set by the simulator`);
    const state = mailScenario("state.json", [{ ...base, expect: { caseState: "replied" } }]);
    expect(refusal(() => loadScenario(state))).toMatch(new RegExp(`at emails\\.0\\.expect\\.caseState: .*"open"\\|"awaiting-reply"\\|"partner-replied"\\|"closed"`));
    const before = mailScenario("before.json", [{ ...base, expect: { before: { caseState: "closed" } } }]);
    expect(refusal(() => loadScenario(before))).toBe(`${before}: at emails.0.expect.before: needs replyTo: it is the state of the incident the mail replies to`);
  });

  it("reads at: durations as people write them, and prints spans rounded whole", () => {
    expect(["90s", "20m", "73h", "1h30m", "2d", "1.5h", "0s"].map(parseDuration)).toEqual([90, 1200, 262800, 5400, 172800, 5400, 0]);
    expect(["73 hours", "h", "", "5", "-1h", "1m2h"].map(parseDuration)).toEqual([null, null, null, null, null, null]);
    expect([12.34, 90, 3599.6, 73 * 3600 - 0.5, 71 * 3600 + 1799].map(span)).toEqual(["12.3 s", "1 min 30 s", "1 h 0 min", "73 h 0 min", "71 h 30 min"]);
  });

  it("refuses a scenario with neither calls nor emails", () => {
    const empty = file("nothing.json", JSON.stringify({ name: "nothing" }));
    expect(refusal(() => loadScenario(empty))).toBe(`${empty}: at calls: a scenario needs calls, emails or both`);
  });
});
