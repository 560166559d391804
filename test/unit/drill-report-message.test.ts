import { describe, expect, it } from "vitest";
import { mailTimeline } from "../../src/call/mail-events.ts";
import type { CallRecord } from "../../src/call/records.ts";
import { timeline, type TimelineEvent } from "../../src/call/timeline-events.ts";
import { composeDrillReport, sinceStart, utc } from "../../src/followup/drill-report-message.ts";
import { drillReportTarget } from "../../src/followup/drill-report-target.ts";
import type { IncidentView } from "../../src/followup/incident-view.ts";
import { drillReportWaitsFor } from "../../src/followup/jobs/drill-report.ts";
import { incidentRecord, mailIncidentRecord } from "../../src/incidents/incident-record.ts";

const START = Date.parse("2026-12-07T06:40:00.000Z");
const at = (seconds: number) => new Date(START + seconds * 1000).toISOString();
const ENGINEERS = [{ name: "Ada", number: "+15550001001" }, { name: "Grace", number: "+15550001002" }, { number: "+15550001003" }];
const PARTNER = { name: "Globex", email: "it@globex.example" };
const ID = "INC-20261207-4A7FF946";

function call(over: Partial<CallRecord> = {}, meta: Partial<CallRecord["meta"]> = {}): CallRecord {
  return {
    meta: { callSid: "CA1", from: "+15557770004", to: "+15550009999", drill: true, partner: PARTNER, startedAt: at(0), engineers: ENGINEERS, statusNotice: null, callsInLastDay: 1, groupedWithCall: null, reconstructed: false, ...meta },
    stage: "ended",
    level: 3,
    attempts: [],
    answeredLevels: [],
    acceptedLevel: null,
    declinedLevels: [],
    outcome: "voicemail",
    incidentId: ID,
    recording: { url: "https://api.twilio.com/RE1", sid: "RE1", duration: 35 },
    transcription: { status: "completed", text: "Please email me at jane dot doe at globex dot example.", sid: "TR1" },
    callStatus: "completed",
    duration: 118,
    endedAt: at(118),
    ...over,
  };
}

const delivery = (over: Record<string, unknown> = {}) => ({ state: "queued" as const, job: "completed", ...over });

function view(record: ReturnType<typeof incidentRecord>, followup: Partial<IncidentView["followup"]> = {}, thread: IncidentView["thread"] = []): IncidentView {
  const caseState = { state: "open" as const, generation: 0 };
  return {
    ...record,
    followup: {
      mobilise: delivery({ state: "sent", sentAt: at(84), target: "drill" }),
      email: delivery({ state: "sent", sentAt: at(121), to: "jane.doe@globex.example", recipientSource: "transcription" }),
      drillReport: { state: "pending", job: "active" },
      case: caseState,
      ...followup,
    },
    case: caseState,
    thread,
    traceIds: [],
    reported: { endpoints: [], environments: [], timestamps: [] },
  };
}

/** The voicemail call of drills/04-voicemail.yaml, as its timeline records it. */
const voicemailTimeline: TimelineEvent[] = [
  timeline.received(at(0), { from: "+15557770004", partner: "Globex", drill: true }),
  timeline.dialled(at(7.2), 1, "engineer 1 (Ada)"),
  timeline.legEnded(at(32.2), 1, "engineer 1 (Ada)", "no-answer", 0),
  timeline.dialled(at(33.4), 2, "engineer 2 (Grace)"),
  timeline.answered(at(45.4), 2, "engineer 2 (Grace)"),
  timeline.legEnded(at(62.8), 2, "engineer 2 (Grace)", "not-accepted", 17),
  timeline.dialled(at(64), 3, "engineer 3 (engineer 3)"),
  timeline.legEnded(at(67), 3, "engineer 3 (engineer 3)", "busy", 0),
  timeline.voicemailPrompt(at(67)),
  timeline.recorded(at(118), 35, true),
  timeline.recordingStatus(at(118.5), "RE1", "completed"),
  timeline.ended(at(118), "completed", 118),
  timeline.raised(at(118), ID, "voicemail"),
  timeline.mobiliseSent(at(84), "drill", 200),
  timeline.transcribed(at(120), "completed", "Please email me at jane dot doe at globex dot example."),
  timeline.emailSent(at(121), "jane.doe@globex.example", "transcription"),
];
const row = { id: ID, raisedAt: at(118), severity: "SEV1" as const, channel: "phone" as const, callSid: "CA1", outcome: "voicemail" };

describe("the drill report of a call", () => {
  const incident = view(incidentRecord(row, call(), voicemailTimeline, 5, null));
  const report = composeDrillReport(incident, "it@globex.example", { messageDomain: "line.example.test" });

  it("is a DRILL email about the incident, to the address given, threading to the incident", () => {
    expect(report).toMatchObject({ to: "it@globex.example", subject: `[DRILL] Drill report ${ID}`, messageId: `<${ID}.drill-report@line.example.test>` });
    expect(report.text.startsWith("THIS IS A DRILL REPORT.")).toBe(true);
    expect(report.text).toContain("Hello Globex,");
  });

  it("lists each engineer tried with their level, label and result, in the partner's words, with UTC times and seconds", () => {
    expect(report.text).toContain("level 1: engineer 1 (Ada), rung at 2026-12-07 06:40:07 UTC (+7.2 s): no answer at 2026-12-07 06:40:32 UTC (+32.2 s)");
    expect(report.text).toContain("level 2: engineer 2 (Grace), rung at 2026-12-07 06:40:33 UTC (+33.4 s): voicemail picked up (answered, no key pressed)");
    expect(report.text).toContain("level 3: engineer 3 (engineer 3), rung at 2026-12-07 06:41:04 UTC (+64 s): busy at 2026-12-07 06:41:07 UTC (+67 s)");
    for (const engineer of ENGINEERS) expect(report.text).not.toContain(engineer.number);
  });

  it("says what was played, that the caller reached the voicemail, the contact understood, the follow-up, the page and the end", () => {
    expect(report.text).toContain("Played to you: greeting with the drill notice at 2026-12-07 06:40:00 UTC (+0 s); the voicemail prompt at 2026-12-07 06:41:07 UTC (+67 s)");
    expect(report.text).toContain("Who answered: nobody accepted; you reached the voicemail at 2026-12-07 06:41:07 UTC (+67 s)");
    expect(report.text).toContain("Contact we understood from your voicemail: email jane.doe@globex.example");
    expect(report.text).toContain("Follow-up email: sent at 2026-12-07 06:42:01 UTC (+121 s) to jane.doe@globex.example");
    expect(report.text).toContain("Paged: yes, on the drill channel, at 2026-12-07 06:41:24 UTC (+84 s)");
    expect(report.text).toContain("Call ended: 2026-12-07 06:41:58 UTC (+118 s)");
    expect(report.text).toContain(`Incident: ${ID} (outcome voicemail)`);
  });

  it("walks the timeline in its sentences, leaving out what is only ours (recording status)", () => {
    expect(report.text).toContain("2026-12-07 06:40:32 UTC   +32.2 s  engineer 1 (Ada) did not answer");
    expect(report.text).toContain('Transcription received: "Please email me');
    expect(report.text).not.toContain("Recording RE1");
    // In time order, whatever order the webhooks and jobs appended them in.
    expect(report.text.indexOf("Responders mobilised")).toBeLessThan(report.text.indexOf("Voicemail recorded"));
  });

  it("names who answered a connected call, and says when the call has not ended yet", () => {
    const connected: TimelineEvent[] = [
      timeline.received(at(0), { from: "+15557770004", partner: "Globex", drill: true }),
      timeline.dialled(at(7.2), 1, "engineer 1 (Ada)"),
      timeline.answered(at(12.2), 1, "engineer 1 (Ada)"),
      timeline.accepted(at(21), 1, "engineer 1 (Ada)"),
      timeline.raised(at(21), ID, "connected"),
    ];
    const live = view(incidentRecord({ ...row, outcome: "connected" }, call({ acceptedLevel: 1, recording: null, transcription: null, outcome: "connected", endedAt: null }), connected, 5, null));
    const text = composeDrillReport(live, "it@globex.example", { messageDomain: "x" }).text;
    expect(text).toContain("level 1: engineer 1 (Ada), rung at 2026-12-07 06:40:07 UTC (+7.2 s): accepted at 2026-12-07 06:40:21 UTC (+21 s)");
    expect(text).toContain("Who answered: engineer 1 (Ada), at 2026-12-07 06:40:21 UTC (+21 s)");
    expect(text).toContain("Call ended: not yet, when this report was written");
    expect(text).not.toContain("Contact we understood");
    expect(drillReportWaitsFor(live)).toEqual(["the call to end"]);
  });

  it("says so when no contact was understood, or the follow-up went to our support team", () => {
    const untranscribed = view(incidentRecord(row, call({ transcription: null }), voicemailTimeline, 5, null), {
      email: delivery({ state: "sent", sentAt: at(150), to: "support@platform.example", recipientSource: "support-inbox" }),
    });
    const text = composeDrillReport(untranscribed, "it@globex.example", { messageDomain: "x" }).text;
    expect(text).toContain("Contact we understood from your voicemail: none (no transcription had arrived)");
    expect(text).toContain("to our support team (no address of yours was understood)");
    expect(text).not.toContain("support@platform.example");
  });
});

describe("the drill report of an email", () => {
  const hash = { caseKey: "mail-abc", from: "drill@acme.test", mailSubject: "URGENT drill", drill: "true", partner: "", usage: "1" };
  const mailRow = { id: ID, raisedAt: at(0), severity: "SEV1" as const, channel: "email" as const, caseKey: "mail-abc" };
  const events: TimelineEvent[] = [
    mailTimeline.raised(at(0), ID, "SEV1"),
    mailTimeline.received(at(0), { from: "drill@acme.test", subject: "URGENT drill", messageId: "<m1@acme.test>", severity: "SEV1", body: "practice\nsecond line", joined: false }),
    mailTimeline.acknowledged(at(1.5), "drill@acme.test", "SEV1"),
  ];
  const ack = { direction: "out" as const, kind: "ack" as const, messageId: `<${ID}.ack@x>`, at: at(1.4), from: "oncall@x", to: "drill@acme.test", replyTo: null, subject: "[DRILL] Re: URGENT drill", text: "", inReplyTo: null, references: [], attachments: [], facts: { traceIds: [], endpoints: [], environments: [], timestamps: [] }, sentAt: at(1.5) };
  const incident = view(mailIncidentRecord(mailRow, hash, events, 5), { mobilise: delivery({ state: "sent", sentAt: at(0.8), target: "drill" }), email: delivery({ job: "not-queued" }) }, [ack]);

  it("says when it was received, how it was classified, whether it paged, and when it was acknowledged", () => {
    const { text, subject } = composeDrillReport(incident, "drill@acme.test", { messageDomain: "x" });
    expect(subject).toBe(`[DRILL] Drill report ${ID}`);
    expect(text).toContain('your drill email "URGENT drill" from drill@acme.test');
    expect(text).toContain("Received at: 2026-12-07 06:40:00 UTC (+0 s)");
    expect(text).toContain("Classified: SEV1");
    expect(text).toContain("Paged: yes, on the drill channel, at 2026-12-07 06:40:00 UTC (+0.8 s)");
    expect(text).toContain("Acknowledged: 2026-12-07 06:40:01 UTC (+1.5 s), to drill@acme.test");
    expect(text).not.toContain("second line"); // the email's own body stays out of the report
    expect(drillReportWaitsFor(incident)).toEqual([]);
  });

  it("a SEV3 drill email pages nobody, and says so", () => {
    const sev3 = view(mailIncidentRecord({ ...mailRow, severity: "SEV3" }, hash, events, 5), { mobilise: delivery({ job: "not-queued" }) }, [ack]);
    expect(composeDrillReport(sev3, "drill@acme.test", { messageDomain: "x" }).text).toContain("Paged: no (SEV3)");
  });
});

describe("who gets a drill report", () => {
  const record = (meta: Partial<CallRecord["meta"]>) => incidentRecord(row, call({}, meta), [], 5, null);
  it("only a drill, and only at the partner's own address", () => {
    expect(drillReportTarget(record({}))).toEqual({ to: "it@globex.example" });
    expect(drillReportTarget(record({ drill: false }))).toEqual({ notApplicable: "not a drill" });
    expect(drillReportTarget(record({ partner: null }))).toEqual({ notApplicable: "the drill caller is not in the partner directory" });
    expect(drillReportTarget(record({ partner: { name: "Initech" } }))).toEqual({ notApplicable: "partner Initech has no email in the directory" });
    const mail = mailIncidentRecord({ id: ID, raisedAt: at(0), severity: "SEV3", channel: "email" }, { caseKey: "k", from: "drill@acme.test", mailSubject: "s", drill: "true", partner: "", usage: "" }, [], 5);
    expect(drillReportTarget(mail)).toEqual({ to: "drill@acme.test" });
    expect(drillReportTarget({ ...mail, drill: false })).toEqual({ notApplicable: "not a drill" });
  });
});

describe("times", () => {
  it("are UTC to the second, and seconds from the start with a decimal only when needed", () => {
    expect(utc("2026-12-07T06:40:07.200Z")).toBe("2026-12-07 06:40:07 UTC");
    expect(sinceStart(at(7.2), at(0))).toBe("+7.2 s");
    expect(sinceStart(at(83), at(0))).toBe("+83 s");
    expect(sinceStart(at(0), at(5))).toBe("+0 s");
  });
});
