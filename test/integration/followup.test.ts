import { afterAll, describe, expect, it } from "vitest";
import { REQUESTED_ITEMS } from "../../src/followup/followup-message.ts";
import { jobId } from "../../src/followup/jobs/incident-job.ts";
import { PARTNER, startFollowupRig } from "../helpers/followup-rig.ts";
import { CONSOLE_TOKEN, DRILL_CALLER, TestCall } from "../helpers/line.ts";
import { nonEmpty, waitFor } from "../helpers/receivers.ts";

const STRANGER = "+447700900123";
const rig = await startFollowupRig();
const { smtp, line, incident, voicemailCall, mailsFor, postsTo } = rig;
afterAll(() => rig.close());

describe("a call that ends in voicemail", () => {
  it("sends one email to the transcribed address asking for every item, and mobilises once", async () => {
    const t = await line("voicemail");
    const { incidentId } = await voicemailCall(t, PARTNER, "Payments are failing. Email me at jane dot doe at acme dot com please.");
    const [mail] = await waitFor(() => nonEmpty(mailsFor(incidentId)), "the follow-up email");
    expect(mail!.envelopeTo).toEqual(["jane.doe@acme.com"]);
    expect(mail!.mail.subject).toBe(`[URGENT] Emergency call ${incidentId}: please send details (Acme Payments)`);
    expect(mail!.mail.replyTo?.text).toBe("support@platform.test");
    for (const item of REQUESTED_ITEMS) {
      expect(mail!.mail.text).toContain(item);
      expect(mail!.mail.html).toContain(item);
    }
    for (const asked of ["x-trace-id", "endpoints", "business impact", "production or sandbox", "request and response bodies", "timestamps", "user or profile IDs"]) {
      expect(mail!.mail.text).toContain(asked);
    }
    expect(mail!.mail.text).toContain(`write to support@platform.test quoting ${incidentId}`);
    expect(mail!.mail.text).toContain("72 hours");
    // Paging is configured for it: the email may say so, though it cannot know the page went out already.
    expect(mail!.mail.text).toContain("our on-call engineers have been alerted");
    expect(mail!.mail.text).not.toContain("paged");

    const view = await waitFor(async () => {
      const v = await incident(t, incidentId);
      return v.followup.mobilise.state === "sent" && v.followup.case.state === "awaiting-reply" && v;
    }, "the mobilisation and the hold");
    expect(view.followup.email).toMatchObject({ state: "sent", to: "jane.doe@acme.com", messageId: `<${incidentId}.followup@line.example.test>` });
    expect(view.followup.case.state).toBe("awaiting-reply");
    const posts = postsTo("/real/voicemail");
    expect(posts).toHaveLength(1);
    expect(posts[0]!.body.incident).toMatchObject({ id: incidentId, outcome: "voicemail", caller: PARTNER, partner: "Acme Payments", voicemailUrl: expect.stringContaining("/Recordings/RE") });
    expect(view.timeline.map((e: { event: string }) => e.event)).toEqual(expect.arrayContaining(["followup.email-sent", "followup.mobilise-sent"]));

    // Nothing more goes out: the same webhooks replayed, the jobs retried by hand.
    await t.line.queues.enqueueForIncident(incidentId);
    await (await t.line.queues.email.getJob(jobId("email", incidentId)))!.retry("completed").catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(mailsFor(incidentId)).toHaveLength(1);
    expect(postsTo("/real/voicemail")).toHaveLength(1);
  });

  it("falls back to the partner directory, then to the support inbox with the callback number", async () => {
    const t = await line("fallbacks");
    const partner = await voicemailCall(t, PARTNER, "It is all broken, please help.");
    const stranger = await voicemailCall(t, STRANGER, null);
    // No transcription for the stranger yet: the email waits for it, then goes when the wait is cut short.
    await t.line.queues.releaseEmail(stranger.incidentId);
    const [toPartner] = await waitFor(() => nonEmpty(mailsFor(partner.incidentId)), "partner email");
    const [toSupport] = await waitFor(() => nonEmpty(mailsFor(stranger.incidentId)), "support email");
    expect(toPartner!.envelopeTo).toEqual(["oncall@acme.test"]);
    expect(toSupport!.envelopeTo).toEqual(["support@platform.test"]);
    expect(toSupport!.mail.text).toContain(`Call them back on ${STRANGER}`);
    const view = await waitFor(async () => {
      const v = await incident(t, stranger.incidentId);
      return v.followup.email.state === "sent" && v;
    }, "the sent state");
    expect(view.followup.email.recipientSource).toBe("support-inbox");
  });

  it("holds the email for the transcription, and a late transcription sends nothing twice", async () => {
    const t = await line("late-transcript");
    const { c, incidentId } = await voicemailCall(t, PARTNER, null);
    expect((await incident(t, incidentId)).followup.email.job).toBe("delayed");
    await t.line.queues.releaseEmail(incidentId); // the wait ran out
    await waitFor(() => mailsFor(incidentId).length, "the follow-up email");
    await c.transcribed("Reach me at ops at acme dot com");
    await waitFor(async () => (await incident(t, incidentId)).followup.email.lateContact, "the late contact on the incident");
    const view = await incident(t, incidentId);
    expect(view.followup.email).toMatchObject({ to: "oncall@acme.test", lateContact: "ops@acme.com" });
    expect(view.timeline.at(-1).text).toContain("ops@acme.com");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(mailsFor(incidentId)).toHaveLength(1);
  });
});

describe("SMTP trouble", () => {
  it("delivers exactly once when the relay refuses the first two attempts", async () => {
    const t = await line("smtp-refuses");
    smtp.refuseNext(2);
    const before = smtp.attempts;
    const { incidentId } = await voicemailCall(t, PARTNER, "email ops at acme dot com");
    await waitFor(() => mailsFor(incidentId).length, "the email after retries");
    await waitFor(async () => (await incident(t, incidentId)).followup.email.state === "sent", "sent state");
    expect(smtp.attempts - before).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(mailsFor(incidentId)).toHaveLength(1);
    expect((await incident(t, incidentId)).followup.email).toMatchObject({ state: "sent", attempts: 3, to: "ops@acme.com" });
  });

  it("leaves the job failed and the incident saying so when SMTP is down for the whole run", async () => {
    const t = await line("smtp-down", { SMTP_URL: "smtp://127.0.0.1:9" });
    const { incidentId } = await voicemailCall(t, PARTNER, "email ops at acme dot com");
    const view = await waitFor(async () => {
      const v = await incident(t, incidentId);
      return v.followup.email.state === "failed" && v.followup.email.job === "failed" && v;
    }, "the failed email");
    expect(view.followup.email.attempts).toBe(3);
    expect(view.followup.email.error).toMatch(/ECONNREFUSED|connect/i);
    expect(view.timeline.map((e: { text: string }) => e.text).join("\n")).toContain("Follow-up email failed after 3 attempt(s)");
    expect(view.followup.case.state).toBe("open");
  });
});

describe("mobilisation", () => {
  it("posts a PagerDuty Events API v2 trigger deduplicated by incident id", async () => {
    const t = await line("pagerduty", { MOBILISE_FORMAT: "pagerduty", PAGERDUTY_ROUTING_KEY: "R0UT1NGKEY0000000000000000000000" });
    const c = new TestCall(t.twilio, PARTNER);
    await c.incoming();
    await c.whisper(1);
    await c.pressOnWhisper(1, "1");
    const { incidentId } = (await t.twilio.api(`/api/calls/${c.callSid}`)).json;
    const [post] = await waitFor(() => nonEmpty(postsTo("/real/pagerduty")), "the PagerDuty event");
    expect(post!.body).toMatchObject({
      routing_key: "R0UT1NGKEY0000000000000000000000",
      event_action: "trigger",
      dedup_key: incidentId,
      payload: {
        summary: `Emergency line call from Acme Payments: connected to an engineer (${incidentId})`,
        source: "emergency-line",
        severity: "critical",
        custom_details: { caller: PARTNER, partner: "Acme Payments", outcome: "connected", engineer: { name: "Ada", level: 1 }, voicemailUrl: null, transcript: null },
      },
    });
    expect(Date.parse(post!.body.payload.timestamp)).not.toBeNaN();
    expect(Object.keys(post!.body).sort()).toEqual(["client", "client_url", "dedup_key", "event_action", "payload", "routing_key"]);
    // The responder's "view in client" link leads to the incident's page in the console.
    const auth = { authorization: `Bearer ${CONSOLE_TOKEN}` };
    const clientUrl = new URL(post!.body.client_url);
    expect(clientUrl.origin).toBe(new URL(t.line.config.PUBLIC_BASE_URL).origin);
    // PUBLIC_BASE_URL is a name this machine cannot resolve: the same path, asked of the line directly.
    const link = await fetch(`${t.line.url}${clientUrl.pathname}`, { headers: auth, redirect: "manual" });
    expect(link.status).toBe(303);
    const page = await fetch(`${t.line.url}${link.headers.get("location")}`, { headers: auth });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(incidentId);
  });

  it("sends a drill to the drill webhook only, never to the real one", async () => {
    const t = await line("drill");
    const c = new TestCall(t.twilio, DRILL_CALLER);
    await c.incoming();
    await c.whisper(1);
    await c.pressOnWhisper(1, "1");
    const { incidentId } = (await t.twilio.api(`/api/calls/${c.callSid}`)).json;
    await waitFor(() => postsTo("/drill/drill").length, "the drill mobilisation");
    const [mail] = await waitFor(() => nonEmpty(mailsFor(incidentId)), "the drill email");
    expect(mail!.mail.subject).toMatch(/^\[DRILL\]/);
    expect(mail!.mail.text).toContain("THIS IS A DRILL");
    expect(postsTo("/real/drill")).toHaveLength(0);
    expect((await incident(t, incidentId)).followup.mobilise).toMatchObject({ state: "sent", target: "drill" });
  });

  it("skips a drill when no drill webhook is configured, rather than paging for real", async () => {
    const t = await line("drill-nowhere", { MOBILISE_DRILL_WEBHOOK_URL: "" });
    const c = new TestCall(t.twilio, DRILL_CALLER);
    await c.incoming();
    await c.hungUp(5);
    const { incidentId } = (await t.twilio.api(`/api/calls/${c.callSid}`)).json;
    const view = await waitFor(async () => {
      const v = await incident(t, incidentId);
      return v.followup.mobilise.state === "skipped" && v;
    }, "the skipped mobilisation");
    expect(view.followup.mobilise.reason).toContain("drill");
    expect(postsTo("/real/drill-nowhere")).toHaveLength(0);
  });
});

describe("the case hold", () => {
  it("closes the case when the partner does not reply within the hold, and staff can reopen it", async () => {
    // Long enough that the reopened case is still awaiting its reply when the answer is read, on a busy machine.
    const t = await line("hold-close", { CASE_HOLD_HOURS: String(1.5 / 3600) });
    const { incidentId } = await voicemailCall(t, PARTNER, "email ops at acme dot com");
    const closed = await waitFor(async () => {
      const v = await incident(t, incidentId);
      return v.followup.case.state === "closed" && v;
    }, "the case to close");
    expect(closed.followup.case.closedAt).toBeDefined();
    const reopened = await fetch(`${t.line.url}/api/incidents/${incidentId}/reopen`, { method: "POST", headers: { authorization: `Bearer ${CONSOLE_TOKEN}` } });
    expect(reopened.status).toBe(200);
    expect((await reopened.json()).case).toMatchObject({ state: "awaiting-reply", generation: 1 });
    await waitFor(async () => (await incident(t, incidentId)).followup.case.state === "closed", "the reopened case to close again");
  });

  it("stays open when the partner replied before the hold ran out", async () => {
    const t = await line("hold-reply", { CASE_HOLD_HOURS: String(1 / 3600) });
    const { incidentId } = await voicemailCall(t, PARTNER, "email ops at acme dot com");
    await waitFor(async () => (await incident(t, incidentId)).followup.case.state === "awaiting-reply", "the hold to start");
    const reply = await fetch(`${t.line.url}/api/incidents/${incidentId}/reply`, { method: "POST", headers: { authorization: `Bearer ${CONSOLE_TOKEN}` } });
    expect(reply.status).toBe(200);
    expect((await reply.json()).case.state).toBe("replied");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const view = await incident(t, incidentId);
    expect(view.followup.case.state).toBe("replied");
    const reopen = await fetch(`${t.line.url}/api/incidents/${incidentId}/reopen`, { method: "POST", headers: { authorization: `Bearer ${CONSOLE_TOKEN}` } });
    expect(reopen.status).toBe(409);
    const unknown = await fetch(`${t.line.url}/api/incidents/INC-00000000-NOPE/reply`, { method: "POST", headers: { authorization: `Bearer ${CONSOLE_TOKEN}` } });
    expect(unknown.status).toBe(404);
  });
});
