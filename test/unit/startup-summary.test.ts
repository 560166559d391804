import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";
import { createLogger } from "../../src/log.ts";
import { startupSummary } from "../../src/startup-summary.ts";

const base = {
  TWILIO_ACCOUNT_SID: `AC${"0".repeat(32)}`,
  TWILIO_AUTH_TOKEN: "secret-token-123",
  ENGINEERS: "Ada=+15550001001,+15550001002,Linus=+15550001003",
  CONSOLE_TOKEN: "console-token-0123456789",
};

describe("the start-up summary", () => {
  it("names who is dialled, in order, with masked numbers", () => {
    const { msg, fields } = startupSummary(loadConfig(base), { process: "line" });
    expect(msg).toMatch(/^emergency line up: dials 1 Ada \+1\*+01, 2 engineer 2 \+1\*+02, 3 Linus \+1\*+03 \(roster from ENGINEERS\)/);
    expect(fields.dials).toEqual([
      { level: 1, name: "Ada", number: "+1********01" },
      { level: 2, name: "engineer 2", number: "+1********02" },
      { level: 3, name: "Linus", number: "+1********03" },
    ]);
    expect(JSON.stringify({ msg, fields })).not.toContain("5550001001");
  });

  it("says paging is off when MOBILISE_WEBHOOK_URL is unset, and what else is off", () => {
    const { msg, fields } = startupSummary(loadConfig({ ...base, RUN_WORKERS: "false" }), { process: "line" });
    expect(msg).toContain("paging OFF: MOBILISE_WEBHOOK_URL unset");
    expect(msg).toContain("off: drill pages (MOBILISE_DRILL_WEBHOOK_URL unset), status page (STATUSPAGE_URL unset), workers (RUN_WORKERS=false");
    expect(fields.pages).toBeNull();
    expect(fields.workers).toBe(false);
  });

  it("gives only the host of webhooks, SMTP and the status page: their paths and user parts can be secrets", () => {
    const config = loadConfig({
      ...base,
      MOBILISE_WEBHOOK_URL: "https://hooks.example.com/services/T0/B0/s3cr3t",
      MOBILISE_DRILL_WEBHOOK_URL: "https://drills.example.com/hook/s3cr3t",
      SMTP_URL: "smtp://mailer:p4ssw0rd@smtp.example.com:587",
      STATUSPAGE_URL: "https://status.example.com",
      DRILL_CALLERS: "+15557770001,+15557770002",
    });
    const { msg, fields } = startupSummary(config, { process: "line" });
    expect(msg).toContain("pages hooks.example.com (json)");
    expect(msg).toContain("mail via smtp.example.com:587");
    expect(msg).toContain("2 drill callers");
    expect(msg).toContain("nothing off");
    expect(fields.drillPages).toBe("drills.example.com");
    expect(fields.statusPage).toBe("status.example.com");
    expect(JSON.stringify({ msg, fields })).not.toMatch(/s3cr3t|p4ssw0rd|mailer/);
  });

  it("shows the roster actually in force, and where it came from", () => {
    const { msg, fields } = startupSummary(loadConfig(base), {
      process: "line",
      roster: { engineers: [{ name: "Grace", number: "+15550001002" }], source: "console", reason: "edited in the console" },
    });
    expect(msg).toContain("dials 1 Grace +1********02 (roster from console)");
    expect(fields.roster).toEqual({ source: "console", reason: "edited in the console" });
  });

  it("for the worker, leaves out dialling, which only the line does", () => {
    const { msg, fields } = startupSummary(loadConfig({ ...base, MOBILISE_WEBHOOK_URL: "https://hooks.example.com/x" }), { process: "worker" });
    expect(msg).toMatch(/^follow-up worker up: pages hooks\.example\.com/);
    expect(msg).not.toContain("dials");
    expect(fields.dials).toBeUndefined();
  });

  it("reaches the log as one line that the logger's masking leaves readable", () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(String(chunk)), done()) });
    const summary = startupSummary(loadConfig(base), { process: "line" });
    createLogger("info", sink).info(summary.fields, summary.msg);
    expect(lines).toHaveLength(1);
    const entry = JSON.parse(lines[0]!);
    expect(entry.msg).toBe(summary.msg);
    expect(entry.dials[0]).toEqual({ level: 1, name: "Ada", number: "+1********01" });
  });
});
