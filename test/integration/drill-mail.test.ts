import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XMLParser } from "fast-xml-parser";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { drillCommand } from "../../src/drill/command.ts";
import { startLocalStack } from "../../src/drill/local.ts";
import { startSmtpCapture } from "../../src/simulator/capture.ts";
import { isDrillReport } from "../../src/simulator/checks.ts";
import { REQUESTED_ITEMS } from "../../src/followup/followup-message.ts";
import { htmlReport, jsonReport, junitReport, textReport } from "../../src/simulator/report.ts";
import { runDrill, type DrillReport, type ScenarioReport } from "../../src/simulator/scenario-runner.ts";
import { loadScenario, loadScenarios } from "../../src/simulator/scenario.ts";
import { ACCOUNT_SID, AUTH_TOKEN, CONSOLE_TOKEN, startTestLine } from "../helpers/line.ts";
import { REDIS_URL } from "../helpers/redis.ts";

/** Mail drills through the real runner: the local drill line's SMTP listener, real Redis, real SMTP out. */
let stack: Awaited<ReturnType<typeof startLocalStack>>;
beforeAll(async () => {
  stack = await startLocalStack({ env: { REDIS_URL } });
});
afterAll(async () => {
  await stack.close();
});

const MAIL_DRILLS = ["13-urgent-mail-pages", "14-plain-mail-sev3", "15-reply-with-trace-ids", "16-hold-runs-out-then-reply", "17-auto-reply-no-loop"].map((name) => `drills/${name}.yaml`);
const dir = mkdtempSync(join(tmpdir(), "el-drill-mail-"));
const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const failuresOf = (report: DrillReport) => report.scenarios.filter((s) => !s.passed).map((s) => textReport({ ...report, scenarios: [s] }));
const byFile = (report: DrillReport, file: string) => report.scenarios.find((s) => s.file === file)!;
const mails = () => stack.target.capture!.mails;
const pagesOf = (id: string) => stack.target.capture!.posts.filter((p) => p.body?.dedup_key === id || p.body?.incident?.id === id);
const failedChecks = (scenario: ScenarioReport) => (scenario.emails ?? []).flatMap((e) => e.checks.filter((c) => c.ok === false).map((c) => [c.name, c.expected, c.actual]));

describe("the bundled mail drills", () => {
  let report: DrillReport;
  beforeAll(async () => {
    report = await runDrill(loadScenarios(MAIL_DRILLS), stack.target, "test");
  });

  it("all pass, each email delivered over SMTP and answered 250 with its incident", () => {
    expect(failuresOf(report)).toEqual([]);
    const emails = report.scenarios.flatMap((s) => s.emails ?? []);
    expect(emails).toHaveLength(7);
    for (const email of emails) expect(email.delivery).toMatchObject({ code: 250, response: expect.stringContaining("stored as <drill-") });
  });

  it("urgent mail: a SEV1, one page on the drill channel, an acknowledgement in thread asking for every detail", () => {
    const [email] = byFile(report, MAIL_DRILLS[0]!).emails!;
    const id = email!.incidentId!;
    expect(pagesOf(id).map((p) => p.path)).toEqual(["/drill"]);
    const acks = mails().filter((m) => m.mail.inReplyTo === email!.messageId);
    expect(acks.map((m) => m.envelopeTo)).toEqual([["ops@acme.example"]]);
    expect(acks[0]!.mail.subject).toContain(id);
    for (const item of REQUESTED_ITEMS) expect(acks[0]!.mail.text).toContain(item);
  });

  it("plain mail: a SEV3 acknowledged, and nobody paged", () => {
    const [email] = byFile(report, MAIL_DRILLS[1]!).emails!;
    expect(email!.checks.find((c) => c.name === "severity")).toMatchObject({ ok: true, actual: "SEV3" });
    expect(pagesOf(email!.incidentId!)).toEqual([]);
    expect(mails().filter((m) => m.mail.inReplyTo === email!.messageId).map((m) => m.envelopeTo)).toEqual([["dev@globex.example"]]);
  });

  it("a reply to a voicemail's follow-up lands on the phone incident with its trace ids, answered by nothing", () => {
    const scenario = byFile(report, MAIL_DRILLS[2]!);
    const [call] = scenario.calls;
    const [email] = scenario.emails!;
    expect(email!.incidentId).toBe(call!.incidentId);
    const followup = mails().find((m) => m.mail.messageId === `<${call!.incidentId}.followup@127.0.0.1>`);
    expect(followup?.envelopeTo).toEqual(["peter@initech.example"]);
    expect(email!.events.map((e) => e.text).join("\n")).toContain(`In-Reply-To ${followup!.mail.messageId}`);
    expect(email!.checks.filter((c) => c.name === "trace id").map((c) => c.ok)).toEqual([true, true]);
    expect(email!.checks.find((c) => c.name === "case")).toMatchObject({ ok: true, actual: "partner-replied" });
    expect(mails().filter((m) => m.mail.inReplyTo === email!.messageId)).toEqual([]);
  });

  it("72 h without a reply: the clock moves on, the case closes and the closing mail goes, then the late reply re-opens it", () => {
    const [email] = byFile(report, MAIL_DRILLS[3]!).emails!;
    const id = email!.incidentId!;
    expect(email!.events[0]!.text).toMatch(/^line clock moved on 73 h 0 min to \+73 h 0 min; 1 pending case-close job\(s\) run: 1 done, 0 not due yet$/);
    const closing = mails().filter((m) => m.mail.messageId === `<${id}.closing-0@127.0.0.1>`);
    expect(closing.map((m) => m.envelopeTo)).toEqual([["noc@umbrella.example"]]);
    expect(closing[0]!.mail.text).toContain("within 72 hours");
    expect(email!.checks.find((c) => c.name === "case")).toMatchObject({ ok: true, actual: "partner-replied" });
  });

  it("automatic mail is answered by nothing: no acknowledgement, no page, no incident", () => {
    const [question, autoReply, vacation] = byFile(report, MAIL_DRILLS[4]!).emails!;
    expect(autoReply!.events.map((e) => e.text).join("\n")).toContain("Auto-Submitted: auto-replied");
    for (const email of [autoReply!, vacation!]) {
      expect(email.incidentId).toBeNull();
      expect(mails().filter((m) => m.mail.inReplyTo === email.messageId)).toEqual([]);
    }
    // The question's one acknowledgement and the partner's one drill report, and nothing more on its incident.
    const onIncident = mails().filter((m) => m.mail.subject?.includes(question!.incidentId!));
    expect(onIncident.filter((m) => !isDrillReport(m))).toHaveLength(1);
    expect(onIncident.filter(isDrillReport)).toHaveLength(1);
    expect(pagesOf(question!.incidentId!)).toEqual([]);
  });

  it("shows each email's delivery and what the line did in the text, JSON, JUnit and HTML reports", () => {
    const scenario = byFile(report, MAIL_DRILLS[0]!);
    const text = textReport({ ...report, scenarios: [scenario] });
    expect(text).toMatch(/email outage from ops@acme\.example at \+0\.0 s: "URGENT: every checkout answers 502" → INC-/);
    expect(text).toContain("delivered over SMTP to support@platform.example");
    expect(text).toContain("✔ acknowledgement says: x-trace-id");
    expect(text).toMatch(/pages for INC-\S+ in all: 1, via \/drill/);
    expect(JSON.parse(jsonReport(report)).scenarios.find((s: ScenarioReport) => s.file === MAIL_DRILLS[0]).emails[0]).toMatchObject({ from: "ops@acme.example", delivery: { code: 250 } });
    const junit = new XMLParser({ ignoreAttributes: false }).parse(junitReport({ ...report, scenarios: [byFile(report, MAIL_DRILLS[4]!)] }));
    expect(junit.testsuites.testsuite["@_tests"]).toBe("3");
    expect(junit.testsuites.testsuite.testcase[1]["@_name"]).toContain("email from billing@hooli.example at +0.0 s");
    expect(htmlReport(report)).toContain("URGENT: every checkout answers 502");
  });
});

describe("a wrong mail expectation", () => {
  it("fails, saying what was expected and what the line did", async () => {
    const file = write("wrong.yaml", readFileSync(MAIL_DRILLS[1]!, "utf8").replace("severity: 3", "severity: 1").replace("mobilised: 0", "mobilised: 1").replace("caseState: open", "caseState: closed"));
    const report = await runDrill([loadScenario(file)], stack.target, "test");
    expect(report.passed).toBe(false);
    expect(failedChecks(report.scenarios[0]!)).toEqual([
      ["severity", "SEV1", "SEV3"],
      ["case", "closed", "open"],
      ["mobilised", "1 time(s)", "0 time(s)"],
    ]);
    const text = textReport(report);
    expect(text).toContain("✘ severity: expected SEV1, saw SEV3");
    expect(text).toContain("0 of 1 scenarios passed — failed: plain mail is a SEV3 case, nobody is paged");
    const junit = new XMLParser({ ignoreAttributes: false }).parse(junitReport(report));
    expect(junit.testsuites.testsuite["@_failures"]).toBe("1");
  });

  it("fails a reply that joins another incident than the one named", async () => {
    const file = write(
      "joins.yaml",
      `name: joins the wrong one
emails:
  - { id: first, from: a@acme.example, subject: First question, body: one }
  - { id: second, from: b@acme.example, subject: Second question, body: two }
  - { replyTo: second, from: b@acme.example, subject: "Re: Second question", body: more, expect: { incident: first, acknowledged: false } }
`,
    );
    const report = await runDrill([loadScenario(file)], stack.target, "test");
    const [first, second, reply] = report.scenarios[0]!.emails!;
    expect(reply!.incidentId).toBe(second!.incidentId);
    expect(failedChecks(report.scenarios[0]!)).toEqual([["incident", `email first's: ${first!.incidentId}`, second!.incidentId]]);
  });
});

describe("the clock moved on early", () => {
  it("never closes a hold before its deadline: the promoted close job waits again", async () => {
    const file = write(
      "early.yaml",
      `name: a reply at 71 h, inside the hold
calls:
  - id: call
    caller: { number: "+15557770171", partner: { name: Umbrella, email: noc@umbrella.example } }
    engineers: [{ does: accept }]
    expect: { outcome: connected }
emails:
  - replyTo: call
    from: noc@umbrella.example
    at: 71h
    subject: "Re: the call"
    body: Still failing.
    expect: { before: { caseState: awaiting-reply, closingSent: false }, incident: call, caseState: partner-replied, acknowledged: false }
`,
    );
    const report = await runDrill([loadScenario(file)], stack.target, "test");
    expect(failuresOf(report)).toEqual([]);
    const [email] = report.scenarios[0]!.emails!;
    expect(email!.events[0]!.text).toBe("line clock moved on 71 h 0 min to +71 h 0 min; 1 pending case-close job(s) run: 0 done, 1 not due yet");
    expect(mails().filter((m) => m.mail.messageId?.startsWith(`<${email!.incidentId}.closing`))).toEqual([]);
  });
});

describe("chaos", () => {
  it("delivers every email twice with one Message-ID: one incident, one acknowledgement, one page", async () => {
    const report = await runDrill(loadScenarios([MAIL_DRILLS[0]!]), stack.target, "test", undefined, { seed: 1, orders: "all" });
    expect(failuresOf(report)).toEqual([]);
    const [email] = report.scenarios[0]!.emails!;
    expect(email!.checks.find((c) => c.name === "redelivery")).toMatchObject({ ok: true, actual: `250, ${email!.incidentId}` });
    expect(mails().filter((m) => m.mail.inReplyTo === email!.messageId)).toHaveLength(1);
    expect(pagesOf(email!.incidentId!)).toHaveLength(1);
  });
});

describe("mail scenarios against a deployed line", () => {
  it("are skipped with the reason without --smtp, and when they need the line's clock moved", async () => {
    const { mailDoor: _door, advanceClock: _clock, ...deployed } = stack.target;
    const without = await runDrill(loadScenarios([MAIL_DRILLS[0]!]), { ...deployed, capture: null, controlsOnCall: false, controlsStatusPage: false }, "deployed");
    expect(without.scenarios[0]).toMatchObject({ passed: true, skipped: expect.stringContaining("pass --smtp HOST:PORT") });
    const withDoor = await runDrill(loadScenarios([MAIL_DRILLS[3]!]), { ...deployed, mailDoor: () => ({ host: "127.0.0.1", port: 1, to: "support@platform.example" }), capture: null, controlsOnCall: false, controlsStatusPage: false }, "deployed");
    expect(withDoor.scenarios[0]!.skipped).toBe("moves the line's clock (an email at +73 h 0 min), which a drill cannot do on a deployed line");
  });
});

describe("npm run drill --target --smtp", () => {
  it("delivers to the deployed line's listener, threads by its API, and refuses senders it would take as real", async () => {
    const outbox = await startSmtpCapture();
    const deployed = await startTestLine("drill-mail-target", {
      publicIsLocal: true,
      workers: true,
      env: { INBOUND_SMTP_PORT: "0", SUPPORT_EMAIL: "help@line.example", DRILL_SENDERS: "billing@hooli.example", SMTP_URL: outbox.url, FOLLOWUP_RETRY_DELAY_MS: "100" },
    });
    const saved = { sid: process.env.TWILIO_ACCOUNT_SID, token: process.env.TWILIO_AUTH_TOKEN };
    process.env.TWILIO_ACCOUNT_SID = ACCOUNT_SID;
    process.env.TWILIO_AUTH_TOKEN = AUTH_TOKEN;
    const out = join(dir, "target.json");
    const spy = vi.spyOn(console, "log").mockImplementation(() => {});
    try {
      const options = { lineNumber: "+15550009999", transcripts: false, target: deployed.line.url, token: CONSOLE_TOKEN, report: [`json:${out}`] };
      const code = await drillCommand([MAIL_DRILLS[4]!, MAIL_DRILLS[0]!, MAIL_DRILLS[3]!], { ...options, smtp: `127.0.0.1:${deployed.line.smtp!.port}`, mailTo: "help@line.example" });
      const report = JSON.parse(readFileSync(out, "utf8")) as DrillReport;
      expect(failuresOf(report)).toEqual([]);
      expect(code).toBe(0);
      const [loop, urgent, late] = report.scenarios;
      expect(urgent!.skipped).toBe("would be real mail from ops@acme.example (not in the line's DRILL_SENDERS: urgent mail would page the on-call); pass --allow-real to send it");
      expect(late!.skipped).toBe("moves the line's clock (an email at +73 h 0 min), which a drill cannot do on a deployed line");
      // The out-of-office replied to the acknowledgement the deployed line's thread shows as sent.
      const [question, autoReply] = loop!.emails!;
      const ack = outbox.messages.find((m) => m.mail.inReplyTo === question!.messageId)!;
      expect(autoReply!.events.map((e) => e.text).join("\n")).toContain(`In-Reply-To ${ack.mail.messageId}`);
      expect(question!.checks.find((c) => c.name === "acknowledged")).toMatchObject({ ok: null, actual: "not visible on a deployed line" });
      expect(question!.checks.find((c) => c.name === "severity")).toMatchObject({ ok: true, actual: "SEV3" });
      // The acknowledgement, and the drill report the deployed line owes the drill sender.
      expect(outbox.messages.filter((m) => !isDrillReport(m))).toHaveLength(1);

      expect(await drillCommand([MAIL_DRILLS[4]!], options)).toBe(0);
      expect(JSON.parse(readFileSync(out, "utf8")).scenarios[0].skipped).toContain("pass --smtp HOST:PORT");
      expect(await drillCommand([MAIL_DRILLS[4]!], { ...options, smtp: "nowhere" })).toBe(2);
    } finally {
      spy.mockRestore();
      process.env.TWILIO_ACCOUNT_SID = saved.sid;
      process.env.TWILIO_AUTH_TOKEN = saved.token;
      await deployed.stop();
      await outbox.close();
    }
  });
});
