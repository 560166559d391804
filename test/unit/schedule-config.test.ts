import { configErrorOf } from "../helpers/config.ts";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";

const base = { TWILIO_ACCOUNT_SID: `AC${"0".repeat(32)}`, TWILIO_AUTH_TOKEN: "secret-token-123", CONSOLE_TOKEN: "console-token-0123456789" };
const dir = mkdtempSync(join(tmpdir(), "el-schedule-config-"));
function file(name: string, text: string): string {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}

const errorOf = configErrorOf;

describe("SCHEDULE_FILE and ENGINEERS", () => {
  it("needs one of them, and says so", () => {
    expect(errorOf({ ...base })).toContain("ENGINEERS: required unless SCHEDULE_FILE is set");
    expect(errorOf({ ...base, ENGINEERS: "" })).toContain("ENGINEERS: required unless SCHEDULE_FILE is set");
  });

  it("with a schedule file, ENGINEERS is not needed and the schedule is parsed at start-up", () => {
    const path = file("ok.yaml", `engineers: { Ada: { number: "+15550001001" } }\nlevels: [ { layers: [ { engineers: [Ada], shift: 1 day, handover: "09:00", start: 2026-11-02 } ] } ]\n`);
    const config = loadConfig({ ...base, SCHEDULE_FILE: path });
    expect(config.ENGINEERS).toBeUndefined();
    expect(config.schedule?.levels[0]).toMatchObject({ level: 1, name: "level 1" });
  });

  it("refuses a bad or missing schedule file, naming the variable, the file, the path inside it and the reason", () => {
    const path = file("bad.yaml", `engineers: { Ada: { number: +15550001001 } }\nlevels: []\n`);
    const message = errorOf({ ...base, SCHEDULE_FILE: path });
    expect(message).toContain(`SCHEDULE_FILE: ${path}: at engineers.Ada.number: a phone number in quotes`);
    expect(message).toContain(`SCHEDULE_FILE: ${path}: at levels: at least one level`);
    expect(errorOf({ ...base, SCHEDULE_FILE: join(dir, "absent.yaml") })).toMatch(/SCHEDULE_FILE: .*absent\.yaml: cannot read/);
  });
});
