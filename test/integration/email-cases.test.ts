import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jobId } from "../../src/followup/jobs/incident-job.ts";
import { CONSOLE_TOKEN, TestCall, type TestLine } from "../helpers/line.ts";
import { idFrom, startMailRig } from "../helpers/mail-rig.ts";
import { ownRedis } from "../helpers/processes.ts";
import { nonEmpty, waitFor } from "../helpers/receivers.ts";

let rig: Awaited<ReturnType<typeof startMailRig>>;

beforeAll(async () => {
  rig = await startMailRig();
});
afterAll(() => rig.close());

const line = (name: string, env: Record<string, string> = {}) => rig.line(name, env);
const deliver: typeof rig.deliver = (t, message) => rig.deliver(t, message);

const incident = async (t: TestLine, id: string) => (await t.twilio.api(`/api/incidents/${id}`)).json;
const mailsTo = (address: string) => rig.mailsTo(address);
const staffReply = (t: TestLine, id: string, body: unknown) =>
  fetch(`${t.line.url}/api/incidents/${id}/messages`, { method: "POST", headers: { authorization: `Bearer ${CONSOLE_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(body) });

describe("a partner's reply to a phone incident's follow-up email", () => {
  it("lands on that incident with its trace ids and cancels the pending close", async () => {
    const t = await line("mail-phone-reply", { CASE_HOLD_HOURS: String(2 / 3600), TRANSCRIPTION_WAIT_SECONDS: "30" });
    const c = new TestCall(t.twilio, "+15557770005");
    await c.incoming();
    for (const level of [1, 2, 3]) await c.dialEnded(level, "no-answer");
    await c.recorded(30);
    await c.hungUp(60);
    await c.transcribed("Checkout is broken, email me at pat at acme dot com");
    const { incidentId } = (await t.twilio.api(`/api/calls/${c.callSid}`)).json;
    const [followup] = await waitFor(() => nonEmpty(mailsTo("pat@acme.com")), "the follow-up email");
    await waitFor(async () => (await incident(t, incidentId)).case.state === "awaiting-reply", "the hold");

    const reply = await deliver(t, {
      from: "Pat <pat@acme.com>",
      subject: `Re: ${followup!.mail.subject}`,
      inReplyTo: followup!.mail.messageId,
      references: [followup!.mail.messageId!],
      text: "Failing since 2025-03-04T10:15:00Z in sandbox.\nx-trace-id: 4bf92f3577b34da6a3ce929d0e0e4736\nanother: 3f2b8c1e-9d4a-4e6b-8f1a-2c3d4e5f6a7b on POST /v1/checkout",
    });
    expect(reply.code).toBe(250);
    expect(idFrom(reply.response)).toBe(incidentId);
    const view = await incident(t, incidentId);
    expect(view).toMatchObject({ channel: "phone", severity: "SEV1", case: { state: "partner-replied" }, followup: { case: { state: "partner-replied" } } });
    expect(view.traceIds).toEqual(["3f2b8c1e-9d4a-4e6b-8f1a-2c3d4e5f6a7b", "4bf92f3577b34da6a3ce929d0e0e4736"]);
    expect(view.reported).toEqual({ endpoints: ["POST /v1/checkout"], environments: ["sandbox"], timestamps: ["2025-03-04T10:15:00Z"] });
    expect(view.thread.map((m: any) => m.kind)).toEqual(["followup", "partner"]);
    expect(view.timeline.map((e: any) => e.event)).toEqual(expect.arrayContaining(["mail.partner-replied", "mail.trace-ids", "case.replied"]));
    expect(await t.line.queues.caseClose.getJob(jobId("caseClose", incidentId, 0))).toBeUndefined();
    // Past the hold it is still the partner's turn: nothing closed it.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect((await incident(t, incidentId)).case.state).toBe("partner-replied");
    // No acknowledgement goes back for a reply, and no second page.
    expect(mailsTo("pat@acme.com")).toHaveLength(1);
  });
});

describe("urgent mail after the partner's call", () => {
  it("counts in the same window and joins the call's open incident, paging once", async () => {
    const partners = join(mkdtempSync(join(tmpdir(), "el-mail-group-")), "partners.json");
    writeFileSync(partners, JSON.stringify({ "+15557770007": { name: "Initech", domains: ["initech.test"] } }));
    const t = await line("mail-group", { PARTNERS_FILE: partners, MISUSE_CALLS_PER_DAY: "1" });
    const c = new TestCall(t.twilio, "+15557770007");
    await c.incoming();
    await c.hungUp(4);
    const { incidentId } = (await t.twilio.api(`/api/calls/${c.callSid}`)).json;
    await waitFor(() => nonEmpty(rig.hook.posts.filter((p) => p.path === "/real/mail-group")), "the call's page");

    const sent = await deliver(t, { from: "peter@initech.test", subject: "URGENT: TPS API down", text: "Since the call, still down." });
    expect(idFrom(sent.response)).toBe(incidentId);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect(rig.hook.posts.filter((p) => p.path === "/real/mail-group")).toHaveLength(1);
    const view = await incident(t, incidentId);
    expect(view.thread.filter((m: any) => m.direction === "in")).toHaveLength(1);
    expect(view.timeline.find((e: any) => e.event === "mail.received")).toMatchObject({ joined: true, from: "peter@initech.test" });
    expect((await t.twilio.api("/api/incidents")).json.incidents).toHaveLength(1);
  });
});

describe("our reply and the hold on an email case", () => {
  it("sends staff's reply in the thread, closes with a closing email when no answer comes, and a reply re-opens it", async () => {
    const t = await line("mail-hold", { CASE_HOLD_HOURS: String(1.5 / 3600) });
    const opened = await deliver(t, { from: "ray@globex.test", subject: "Webhook signatures", text: "How do we verify them?", messageId: "<q1@globex.test>" });
    const id = idFrom(opened.response)!;
    await waitFor(() => nonEmpty(mailsTo("ray@globex.test")), "the acknowledgement");

    expect((await staffReply(t, id, {})).status).toBe(400);
    expect((await staffReply(t, "INC-20000101-00000000", { text: "hello" })).status).toBe(404);
    const queued = await staffReply(t, id, { text: "Use the X-Signature header with your secret." });
    expect(queued.status).toBe(202);
    const { message } = await queued.json();
    const ours = await waitFor(() => rig.smtp.messages.find((m) => m.mail.messageId === message.messageId), "our reply");
    expect(ours.envelopeTo).toEqual(["ray@globex.test"]);
    expect(ours.mail.inReplyTo).toBe("<q1@globex.test>");
    expect(ours.mail.references).toEqual(expect.arrayContaining(["<q1@globex.test>"]));
    expect(ours.mail.subject).toBe(`Re: Webhook signatures [${id}]`);
    expect(ours.mail.text).toContain("X-Signature header");
    const holding = await waitFor(async () => {
      const v = await incident(t, id);
      return v.case.state === "awaiting-reply" && v;
    }, "the hold");
    expect(Date.parse(holding.case.closesAt)).toBeGreaterThan(Date.now() - 1000);

    const closed = await waitFor(async () => {
      const v = await incident(t, id);
      return v.case.state === "closed" && v.thread.some((m: any) => m.kind === "closing" && m.sentAt) && v;
    }, "the case to close with its closing email");
    const closing = rig.smtp.messages.find((m) => m.envelopeTo.includes("ray@globex.test") && /re-opens/.test(m.mail.text ?? ""));
    expect(closing?.mail.subject).toContain(id);
    expect(closed.thread.map((m: any) => m.kind)).toEqual(["partner", "ack", "reply", "closing"]);

    // The partner answers the closing email (by subject alone: their client dropped the headers).
    const back = await deliver(t, { from: "ray@globex.test", subject: `Re: Webhook signatures [${id}]`, text: "Still failing, sorry." });
    expect(idFrom(back.response)).toBe(id);
    const reopened = await incident(t, id);
    expect(reopened.case.state).toBe("partner-replied");
    expect(reopened.thread.at(-1)).toMatchObject({ direction: "in", text: expect.stringContaining("Still failing") });
  });

  it("refuses a staff reply with nobody to write to", async () => {
    const t = await line("mail-nobody");
    const c = new TestCall(t.twilio, "+447700900555");
    await c.incoming();
    await c.hungUp(3);
    const { incidentId } = (await t.twilio.api(`/api/calls/${c.callSid}`)).json;
    await waitFor(async () => (await incident(t, incidentId)).followup.email.state === "sent", "the follow-up to the support inbox");
    const refused = await staffReply(t, incidentId, { text: "hello?" });
    expect(refused.status).toBe(409);
    expect((await refused.json()).error).toContain("no partner address");
  });
});

describe("the console page of an email incident", () => {
  it("shows the thread as text (HTML mail never rendered) and sends staff's reply from its form", async () => {
    const t = await line("mail-console");
    const opened = await deliver(t, { from: "eve@acme.test", subject: "Dashboard <b>broken</b>", html: '<p>It shows <script>alert("x")</script><b>nothing</b></p>' });
    const id = idFrom(opened.response)!;
    await waitFor(() => nonEmpty(mailsTo("eve@acme.test")), "the acknowledgement");
    const auth = { authorization: `Bearer ${CONSOLE_TOKEN}` };
    const page = await (await fetch(`${t.line.url}/console/incidents/${id}`, { headers: auth })).text();
    expect(page).toContain("Mail thread");
    expect(page).toContain("It shows");
    expect(page).not.toContain("<script>alert");
    expect(page).not.toContain("<b>nothing</b>");
    expect(page).toContain("Dashboard &lt;b&gt;broken&lt;/b&gt;");
    expect(page).toContain(`action="/console/incidents/${id}/messages"`);

    const posted = await fetch(`${t.line.url}/console/incidents/${id}/messages`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ text: "We are looking at it." }),
      redirect: "manual",
    });
    expect(posted.status).toBe(303);
    expect(posted.headers.get("location")).toContain(`/console/incidents/${id}?done=`);
    await waitFor(() => rig.smtp.messages.find((m) => m.envelopeTo.includes("eve@acme.test") && m.mail.text?.includes("We are looking at it.")), "the reply from the console");
  });
});

describe("a reply while Redis is down", () => {
  let redis: Awaited<ReturnType<typeof ownRedis>>;
  let onThatRedis: TestLine | undefined;
  beforeAll(async () => {
    redis = await ownRedis();
  });
  afterAll(async () => {
    // The line first, while its Redis is up (its workers wait for Redis to close); then the server, which the
    // test leaves running (never started twice: a second one would fail to bind, the first left behind).
    if (onThatRedis) await rig.stop(onThatRedis);
    await redis.stop();
  });

  it("gets a 4xx temporary answer, so the sending server retries, and is stored once Redis is back", async () => {
    const t = (onThatRedis = await line("mail-redis-down", { REDIS_URL: redis.url }));
    const opened = await deliver(t, { from: "mo@acme.test", subject: "Sandbox keys", text: "?", messageId: "<open@acme.test>" });
    const id = idFrom(opened.response)!;
    const [ack] = await waitFor(() => nonEmpty(mailsTo("mo@acme.test")), "the acknowledgement");

    await redis.stop();
    const reply = { from: "mo@acme.test", subject: `Re: ${ack!.mail.subject}`, inReplyTo: ack!.mail.messageId, text: "trace id 4bf92f3577b34da6a3ce929d0e0e4736", messageId: "<reply@acme.test>" };
    const refused = await deliver(t, reply);
    expect(refused.code).toBeGreaterThanOrEqual(400);
    expect(refused.code).toBeLessThan(500);

    await redis.start();
    await waitFor(async () => (await fetch(`${t.line.url}/readyz`)).status === 200, "Redis to be back");
    const retried = await deliver(t, reply);
    expect(retried.code).toBe(250);
    const view = await incident(t, id);
    expect(view.thread.filter((m: any) => m.messageId === "<reply@acme.test>")).toHaveLength(1);
    expect(view.traceIds).toEqual(["4bf92f3577b34da6a3ce929d0e0e4736"]);
    expect(view.case.state).toBe("partner-replied");
  }, 30_000);
});
