import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobId } from "../../src/followup/jobs/incident-job.ts";
import { PARTNER } from "../helpers/followup-rig.ts";
import { TestCall, type TestLine } from "../helpers/line.ts";
import { idFrom, startMailRig } from "../helpers/mail-rig.ts";
import { nonEmpty, waitFor } from "../helpers/receivers.ts";

/**
 * The drill report (docs/architecture.md, "The email door"): after a partner's drill call or drill email,
 * one email to the partner's own address saying what the line did and when. Real SMTP both ways, real Redis,
 * the real app with its workers.
 */
let rig: Awaited<ReturnType<typeof startMailRig>>;
beforeAll(async () => {
  rig = await startMailRig(
    { DRILL_SENDERS: "drill@acme.test", TRANSCRIPTION_WAIT_SECONDS: "30" },
    { partner: { name: "Acme Payments", email: "oncall@acme.test", domains: ["acme.test"] } },
  );
});
afterAll(() => rig.close());

const isReport = (m: { mail: { headers: Map<string, unknown> } }) => m.mail.headers.get("x-drill-report") === "true";
const reportsFor = (id: string) => rig.mailsFor(id).filter(isReport);
const followupsFor = (id: string) => rig.mailsFor(id).filter((m) => !isReport(m));
const settle = (ms = 800) => new Promise((resolve) => setTimeout(resolve, ms));
/** The partner's number is a drill caller on these lines: its calls are drills from a partner with an email. */
const drillLine = (name: string) => rig.line(name, { DRILL_CALLERS: PARTNER });

async function incidentOf(t: TestLine, c: TestCall): Promise<string> {
  return waitFor(async () => (await t.twilio.api(`/api/calls/${c.callSid}`)).json.incidentId, "the incident");
}

describe("a partner's drill call", () => {
  it("ends in the voicemail: one report to the directory address, with every engineer tried and the contact understood", async () => {
    const t = await drillLine("report-voicemail");
    const c = new TestCall(t.twilio, PARTNER);
    await c.incoming();
    await c.dialEnded(1, "no-answer");
    await c.whisper(2); // a personal voicemail answers and never presses a key
    await c.dialEnded(2, "completed", 14);
    await c.dialEnded(3, "busy");
    await c.recorded(40);
    await c.hungUp(130);
    const id = await incidentOf(t, c);
    await c.transcribed("Payments fail. Please email me at jane dot doe at acme dot com.");

    const [report] = await waitFor(() => nonEmpty(reportsFor(id)), "the drill report");
    // Only the partner's own directory address: never the address spoken in the voicemail.
    expect(report!.envelopeTo).toEqual(["oncall@acme.test"]);
    expect(report!.mail.subject).toBe(`[DRILL] Drill report ${id}`);
    const text = report!.mail.text!;
    expect(text).toContain("THIS IS A DRILL REPORT");
    expect(text).toMatch(/Played to you: greeting with the drill notice at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(\+0 s\)/);
    expect(text).toMatch(/level 1: engineer 1 \(Ada\), rung at .* UTC \(\+[\d.]+ s\): no answer/);
    expect(text).toMatch(/level 2: engineer 2 \(Grace\), rung at .*: voicemail picked up/);
    expect(text).toMatch(/level 3: engineer 3 \(Linus\), rung at .*: busy/);
    expect(text).toMatch(/Who answered: nobody accepted; you reached the voicemail at /);
    expect(text).toContain("Contact we understood from your voicemail: email jane.doe@acme.com");
    expect(text).toMatch(/Follow-up email: sent at .* to jane\.doe@acme\.com/);
    expect(text).toMatch(/Paged: yes, on the drill channel, at /);
    expect(text).toMatch(/Call ended: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(text).toContain(`Incident: ${id}`);
    // No engineer's phone number leaves for a partner: the console's labels only.
    expect(text).not.toContain("+1555000100");
    expect(followupsFor(id)).toHaveLength(1);

    const view = await waitFor(async () => {
      const v = (await t.twilio.api(`/api/incidents/${id}`)).json;
      // Recorded as sent inside the job, which completes a moment later.
      return v.followup.drillReport.state === "sent" && v.followup.drillReport.job === "completed" && v;
    }, "the report recorded as sent and its job completed");
    expect(view.followup.drillReport).toMatchObject({ to: "oncall@acme.test", subject: `[DRILL] Drill report ${id}`, job: "completed" });
    expect(Date.parse(view.followup.drillReport.sentAt)).not.toBeNaN();
    expect(view.timeline.filter((e: { event: string }) => e.event === "mail.drill-report-sent")).toHaveLength(1);

    // Replayed webhooks, the job queued again and the completed job retried by hand: still one report.
    await c.hungUp(130);
    await c.transcribed("Payments fail. Please email me at jane dot doe at acme dot com.");
    await t.line.queues.enqueueDrillReport(id);
    await (await t.line.queues.drillReport.getJob(jobId("drillReport", id)))!.retry("completed");
    await settle();
    expect(reportsFor(id)).toHaveLength(1);
    expect(followupsFor(id)).toHaveLength(1);
  });

  it("connected: the report waits for the conversation to end, then names who answered", async () => {
    const t = await drillLine("report-connected");
    const c = new TestCall(t.twilio, PARTNER);
    await c.incoming();
    await c.whisper(1);
    await c.pressOnWhisper(1, "1");
    const id = await incidentOf(t, c);
    // The follow-up leaves at once, while the caller is still talking to the engineer; the report does not.
    await waitFor(() => nonEmpty(followupsFor(id)), "the follow-up email");
    await settle(1500);
    expect(reportsFor(id)).toHaveLength(0);
    expect((await t.twilio.api(`/api/incidents/${id}`)).json.followup.drillReport.state).toBe("pending");

    await c.dialEnded(1, "completed", 300);
    await c.hungUp(320);
    const [report] = await waitFor(() => nonEmpty(reportsFor(id)), "the drill report");
    expect(report!.envelopeTo).toEqual(["oncall@acme.test"]);
    expect(report!.mail.text).toMatch(/level 1: engineer 1 \(Ada\), rung at .*: accepted at /);
    expect(report!.mail.text).toMatch(/Who answered: engineer 1 \(Ada\), at .* UTC \(\+[\d.]+ s\)/);
    expect(report!.mail.text).toMatch(/Call ended: .* UTC/);
    expect(report!.mail.text).not.toContain("voicemail");
  });
});

describe("a drill call whose follow-up email could not be sent", () => {
  it("still gets its report, saying so", async () => {
    const t = await drillLine("report-followup-failed");
    const c = new TestCall(t.twilio, PARTNER);
    await c.incoming();
    rig.smtp.refuseNext(3); // every attempt of the follow-up (FOLLOWUP_ATTEMPTS=3 on the rig's lines)
    await c.dialEnded(1, "no-answer");
    await c.hungUp(40); // while engineer 2's phone rings
    await c.dialEndedAfterHangUp(2);
    const id = await incidentOf(t, c);
    const [report] = await waitFor(() => nonEmpty(reportsFor(id)), "the drill report");
    expect(report!.envelopeTo).toEqual(["oncall@acme.test"]);
    expect(report!.mail.text).toContain("Follow-up email: could not be sent");
    expect(report!.mail.text).toContain("Who answered: nobody (outcome abandoned)");
    expect(report!.mail.text).toMatch(/level 2: engineer 2 \(Grace\), rung at .*: still ringing when the call ended/);
    expect(followupsFor(id)).toHaveLength(0);
    expect((await t.twilio.api(`/api/incidents/${id}`)).json.followup).toMatchObject({ email: { state: "failed" }, drillReport: { state: "sent" } });
  });
});

describe("a real call", () => {
  it("gets its follow-up and no drill report", async () => {
    const t = await rig.line("report-real");
    const c = new TestCall(t.twilio, PARTNER);
    await c.incoming();
    await c.whisper(1);
    await c.pressOnWhisper(1, "1");
    await c.dialEnded(1, "completed", 60);
    await c.hungUp(70);
    const id = await incidentOf(t, c);
    await waitFor(() => nonEmpty(followupsFor(id)), "the follow-up email");
    await settle(1500);
    expect(reportsFor(id)).toHaveLength(0);
    expect(rig.smtp.messages.filter((m) => isReport(m) && m.mail.subject?.includes(id))).toHaveLength(0);
    const view = (await t.twilio.api(`/api/incidents/${id}`)).json;
    expect(view.followup.drillReport).toMatchObject({ state: "not-applicable", reason: "not a drill", job: "not-queued" });
  });
});

describe("a drill email", () => {
  it("gets one report to the drill sender: received, SEV1, paged on the drill channel, acknowledged", async () => {
    const t = await rig.line("report-mail");
    const message = { from: "drill@acme.test", subject: "URGENT drill: payments down", text: "Practising the mail door.", messageId: "<drill-report-1@acme.test>" };
    const sent = await rig.deliver(t, message);
    const id = idFrom(sent.response)!;
    const [report] = await waitFor(() => nonEmpty(reportsFor(id)), "the drill report");
    expect(report!.envelopeTo).toEqual(["drill@acme.test"]);
    expect(report!.mail.subject).toBe(`[DRILL] Drill report ${id}`);
    const text = report!.mail.text!;
    expect(text).toContain('drill email "URGENT drill: payments down" from drill@acme.test');
    expect(text).toMatch(/Received at: .* UTC \(\+0 s\)/);
    expect(text).toContain("Classified: SEV1");
    expect(text).toMatch(/Paged: yes, on the drill channel, at /);
    expect(text).toMatch(/Acknowledged: .* UTC \(\+[\d.]+ s\), to drill@acme\.test/);
    expect(rig.postsTo("/real/report-mail")).toHaveLength(0);

    // The same message delivered again, and the job retried: one report.
    await rig.deliver(t, message);
    await (await t.line.queues.drillReport.getJob(jobId("drillReport", id)))!.retry("completed").catch(() => undefined);
    await settle();
    expect(reportsFor(id)).toHaveLength(1);
    expect(rig.mailsTo("drill@acme.test").filter(isReport)).toHaveLength(1);
  });

  it("never joins the partner's real urgent incident, nor real mail a drill: each pages its own channel", async () => {
    const t = await rig.line("report-mail-apart");
    const real = idFrom((await rig.deliver(t, { from: "jane@acme.test", subject: "URGENT: payments down", text: "Real outage.", messageId: "<apart-real@acme.test>" })).response)!;
    const drill = idFrom((await rig.deliver(t, { from: "drill@acme.test", subject: "URGENT drill", text: "Practice.", messageId: "<apart-drill@acme.test>" })).response)!;
    const realAgain = idFrom((await rig.deliver(t, { from: "bob@acme.test", subject: "critical: still down", text: "Anyone?", messageId: "<apart-real-2@acme.test>" })).response)!;
    expect(drill).not.toBe(real);
    expect(realAgain).toBe(real); // repeated real urgent mail still joins the real incident
    await waitFor(() => nonEmpty(rig.postsTo("/drill/report-mail-apart")), "the drill page");
    await waitFor(() => nonEmpty(rig.postsTo("/real/report-mail-apart")), "the real page");
    await settle();
    expect(rig.postsTo("/real/report-mail-apart").map((p) => p.body.incident.id)).toEqual([real]);
    expect(rig.postsTo("/drill/report-mail-apart").map((p) => p.body.incident.id)).toEqual([drill]);
    expect((await t.twilio.api(`/api/incidents/${real}`)).json.drill).toBe(false);
    // A real incident never gets a drill report.
    await waitFor(() => nonEmpty(reportsFor(drill)), "the drill report");
    expect(reportsFor(real)).toHaveLength(0);
  });
});
