import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadScenario, loadScenarios, ScenarioError } from "../../src/simulator/scenario.ts";

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
    expect(scenarios.map((s) => s.file)).toEqual(readdirSync("drills").sort().map((name) => join("drills", name)));
    expect(scenarios.some((s) => s.calls.length >= 2)).toBe(true);
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
