import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REQUESTED_ITEMS } from "../../src/followup/followup-message.ts";
import type { TestLine } from "../helpers/line.ts";
import { idFrom, startMailRig, SUPPORT } from "../helpers/mail-rig.ts";
import { nonEmpty, waitFor } from "../helpers/receivers.ts";

const TOKEN = "inbound-token-0123456789abcdef";
let rig: Awaited<ReturnType<typeof startMailRig>>;

beforeAll(async () => {
  rig = await startMailRig(
    { INBOUND_ADDRESSES: "urgent@platform.test", INBOUND_EMAIL_TOKEN: TOKEN, MOBILISE_FORMAT: "pagerduty", PAGERDUTY_ROUTING_KEY: "R0UTINGKEY", DRILL_SENDERS: "drill@acme.test" },
    { partner: { name: "Acme Payments", email: "oncall@acme.test", domains: ["acme.test"] } },
  );
});
afterAll(() => rig.close());

const line = (name: string, env: Record<string, string> = {}) => rig.line(name, env);
const deliver: typeof rig.deliver = (t, message) => rig.deliver(t, message);

const incident = async (t: TestLine, id: string) => (await t.twilio.api(`/api/incidents/${id}`)).json;
const incidents = async (t: TestLine) => (await t.twilio.api("/api/incidents?limit=100")).json.incidents as any[];
const mailsTo = (address: string) => rig.mailsTo(address);
const postsTo = (path: string) => rig.postsTo(path);
const settle = () => new Promise((resolve) => setTimeout(resolve, 700));

describe("urgent mail", () => {
  it("raises a SEV1 that pages once, acknowledges in the thread asking for the details, and joins repeated urgent mail", async () => {
    const t = await line("mail-urgent");
    const sent = await deliver(t, {
      from: "Jane Doe <jane@acme.test>",
      subject: "[URGENT] Payments API returning 502",
      text: "Since 10:00 UTC every POST /v1/payments fails in production. x-trace-id: 3f2b8c1e-9d4a-4e6b-8f1a-2c3d4e5f6a7b",
      messageId: "<first-urgent@acme.test>",
    });
    expect(sent.code).toBe(250);
    const id = idFrom(sent.response)!;
    expect(id).toMatch(/^INC-\d{8}-[0-9A-F]{8}$/);

    const [page] = await waitFor(() => nonEmpty(postsTo("/real/mail-urgent")), "the page");
    expect(page!.body).toMatchObject({ event_action: "trigger", dedup_key: id, payload: { severity: "critical", group: "Acme Payments" } });
    expect(page!.body.payload.summary).toContain("[URGENT] Payments API returning 502");

    const [ack] = await waitFor(() => nonEmpty(mailsTo("jane@acme.test")), "the acknowledgement");
    expect(ack!.mail.inReplyTo).toBe("<first-urgent@acme.test>");
    expect(ack!.mail.references).toContain("<first-urgent@acme.test>");
    expect(ack!.mail.subject).toContain(id);
    expect(ack!.mail.headers.get("auto-submitted")).toBe("auto-replied");
    expect(ack!.mail.text).toContain(`incident reference is ${id}`);
    for (const item of REQUESTED_ITEMS) expect(ack!.mail.text).toContain(item);

    const view = await waitFor(async () => {
      const v = await incident(t, id);
      return v.thread.length === 2 && v;
    }, "the acknowledgement on the thread");
    expect(view).toMatchObject({ id, severity: "SEV1", channel: "email", case: { state: "open" }, partner: { name: "Acme Payments" }, drill: false });
    expect(view.traceIds).toEqual(["3f2b8c1e-9d4a-4e6b-8f1a-2c3d4e5f6a7b"]);
    expect(view.reported).toMatchObject({ endpoints: ["POST /v1/payments"], environments: ["production"] });
    expect(view.thread.map((m: any) => [m.direction, m.kind])).toEqual([["in", "partner"], ["out", "ack"]]);
    const received = view.timeline.find((e: any) => e.event === "mail.received");
    expect(received).toMatchObject({ from: "jane@acme.test", subject: "[URGENT] Payments API returning 502" });
    expect(received.body).toContain("every POST /v1/payments fails");

    // The same partner writes again, urgently, in a new message: it joins the open incident, paging once.
    const again = await deliver(t, { from: "bob@acme.test", subject: "CRITICAL still down!!", text: "Anyone?", messageId: "<second-urgent@acme.test>" });
    expect(again.code).toBe(250);
    expect(idFrom(again.response)).toBe(id);
    await settle();
    expect(postsTo("/real/mail-urgent")).toHaveLength(1);
    expect((await incidents(t)).filter((i) => i.channel === "email")).toHaveLength(1);
    expect((await incident(t, id)).thread.filter((m: any) => m.direction === "in")).toHaveLength(2);
    expect(mailsTo("bob@acme.test")).toHaveLength(0);
  });

  it("from a drill sender is a drill end to end: DRILL in the subject, the drill webhook only", async () => {
    const t = await line("mail-drill");
    const sent = await deliver(t, { from: "drill@acme.test", subject: "urgent: drill of the mail door", text: "practice", to: "urgent@platform.test" });
    const id = idFrom(sent.response)!;
    const [ack] = await waitFor(() => nonEmpty(mailsTo("drill@acme.test")), "the drill acknowledgement");
    expect(ack!.mail.subject).toMatch(/^\[DRILL\] /);
    expect(ack!.mail.text).toContain("THIS IS A DRILL");
    await waitFor(() => nonEmpty(postsTo("/drill/mail-drill")), "the drill page");
    expect(postsTo("/real/mail-drill")).toHaveLength(0);
    expect((await incident(t, id)).drill).toBe(true);
  });
});

describe("plain mail", () => {
  it("is a SEV3 case: acknowledged, never paged", async () => {
    const t = await line("mail-plain");
    const sent = await deliver(t, { from: "sam@elsewhere.test", subject: "Question about webhook retries", text: "How often do you retry?" });
    expect(sent.code).toBe(250);
    const id = idFrom(sent.response)!;
    const [ack] = await waitFor(() => nonEmpty(mailsTo("sam@elsewhere.test")), "the acknowledgement");
    expect(ack!.mail.text).toContain("Severity 3");
    expect(ack!.mail.text).not.toContain("x-trace-id");
    await settle();
    expect(postsTo("/real/mail-plain")).toHaveLength(0);
    expect(await incident(t, id)).toMatchObject({ severity: "SEV3", channel: "email", partner: null, followup: { mobilise: { job: "not-queued" } } });
  });
});

describe("the same message twice", () => {
  it("is one message, whichever door it came through", async () => {
    const t = await line("mail-twice");
    const raw = ["From: kim@acme.test", `To: ${SUPPORT}`, "Subject: Invoice question", "Message-ID: <twice@acme.test>", "", "Where is my invoice?", ""].join("\r\n");
    const first = await deliver(t, { envelope: { from: "kim@acme.test", to: [SUPPORT] }, raw });
    const second = await deliver(t, { envelope: { from: "kim@acme.test", to: [SUPPORT] }, raw });
    expect([first.code, second.code]).toEqual([250, 250]);
    const posted = await fetch(`${t.line.url}/email/inbound`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "message/rfc822" }, body: raw });
    expect(posted.status).toBe(202);
    expect(await posted.json()).toMatchObject({ stored: true, duplicate: true, action: "raised" });
    await waitFor(() => nonEmpty(mailsTo("kim@acme.test")), "the acknowledgement");
    await settle();
    expect(mailsTo("kim@acme.test")).toHaveLength(1);
    const list = await incidents(t);
    expect(list).toHaveLength(1);
    expect(list[0].thread.filter((m: any) => m.direction === "in")).toHaveLength(1);
  });
});

describe("POST /email/inbound", () => {
  it("wants the token before anything, takes the raw message or the form field, and refuses what is too big or unreadable", async () => {
    const t = await line("mail-http", { INBOUND_MAX_BYTES: String(64 * 1024) });
    const url = `${t.line.url}/email/inbound`;
    const raw = (id: string) => ["From: lee@acme.test", `To: ${SUPPORT}`, "Subject: hello", `Message-ID: <${id}@acme.test>`, "", "Hi", ""].join("\r\n");
    expect((await fetch(url, { method: "POST", headers: { "content-type": "message/rfc822" }, body: raw("a") })).status).toBe(401);
    expect((await fetch(url, { method: "POST", headers: { authorization: "Bearer wrong-token-xxxxxxxxxxx", "content-type": "message/rfc822" }, body: raw("a") })).status).toBe(401);
    expect(await incidents(t)).toHaveLength(0);

    const basic = `Basic ${Buffer.from(`anyone:${TOKEN}`).toString("base64")}`;
    expect((await fetch(url, { method: "POST", headers: { authorization: basic, "content-type": "message/rfc822" }, body: raw("b") })).status).toBe(202);
    const form = new FormData();
    form.set("email", raw("c"));
    form.set("to", SUPPORT);
    const viaForm = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body: form });
    expect(viaForm.status).toBe(202);
    expect((await viaForm.json()).action).toBe("raised");
    expect(await incidents(t)).toHaveLength(2);

    const big = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "message/rfc822" }, body: `${raw("d")}${"x".repeat(200 * 1024)}` });
    expect(big.status).toBe(413);
    expect((await big.json()).error).toContain("65536 bytes");
    const noSender = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "message/rfc822" }, body: "\x00\x01 not a message at all" });
    expect(noSender.status).toBe(400);
    expect((await noSender.json()).error).toContain("no From address");
    const noField = await fetch(url, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` }, body: new FormData() });
    expect(noField.status).toBe(400);
    expect(await incidents(t)).toHaveLength(2);
  });
});

describe("what the SMTP listener refuses", () => {
  it("answers 552 to a 20 MB message, 550 to a mailbox not ours, and stores malformed MIME without crashing", async () => {
    const t = await line("mail-refuse");
    const huge = await deliver(t, { from: "jane@acme.test", subject: "urgent: big logs", text: "x".repeat(20 * 1024 * 1024) });
    expect(huge.code).toBe(552);
    expect(await incidents(t)).toHaveLength(0);
    expect((await deliver(t, { from: "jane@acme.test", to: "nobody@platform.test", subject: "hi", text: "hi" })).code).toBe(550);

    const broken = [
      "From: jane@acme.test",
      `To: ${SUPPORT}`,
      "Subject: broken attachment",
      'Content-Type: multipart/mixed; boundary="never-closed"',
      "",
      "--never-closed",
      "Content-Type: text/plain",
      "Content-Transfer-Encoding: base64",
      "",
      "!!!! this is not base64 ====",
      "--never-closed",
      'Content-Type: application/pdf; name="report.pdf"',
      "",
      "%PDF-truncated",
    ].join("\r\n");
    const stored = await deliver(t, { envelope: { from: "jane@acme.test", to: [SUPPORT] }, raw: broken });
    expect(stored.code).toBe(250);
    const id = idFrom(stored.response)!;
    const view = await incident(t, id);
    expect(view.thread[0].attachments).toEqual([{ name: "report.pdf", type: "application/pdf", size: expect.any(Number) }]);
    // The line is still taking mail.
    expect((await deliver(t, { from: "jane@acme.test", subject: "after", text: "still there?" })).code).toBe(250);
  });
});

describe("mail loops", () => {
  it("stores auto-replies, bounces and our own messages, and answers none of them", async () => {
    const t = await line("mail-loop");
    const answers = await Promise.all([
      deliver(t, { from: "ooo@loop.test", subject: "Automatic reply: URGENT payments", text: "I am out of office", headers: { "Auto-Submitted": "auto-replied" } }),
      deliver(t, { from: "ooo@loop.test", subject: "Re: urgent", text: "Out of office", headers: { "X-Autoreply": "yes" } }),
      deliver(t, { envelope: { from: "", to: [SUPPORT] }, raw: `From: bounces@loop.test\r\nTo: ${SUPPORT}\r\nSubject: Undelivered Mail: urgent\r\n\r\nbounced\r\n` }),
      deliver(t, { from: "MAILER-DAEMON@loop.test", subject: "Undelivered Mail Returned to Sender: urgent", text: "bounced" }),
      deliver(t, { from: "On-call <oncall@platform.test>", subject: "[URGENT] our own follow-up", text: "looped back" }),
      deliver(t, { from: "list@loop.test", subject: "critical newsletter", text: "weekly", headers: { Precedence: "bulk" } }),
    ]);
    expect(answers.map((a) => a.code)).toEqual([250, 250, 250, 250, 250, 250]);
    await settle();
    expect(await incidents(t)).toHaveLength(0);
    expect(rig.smtp.messages.filter((m) => m.envelopeTo.some((to) => to.endsWith("@loop.test") || to === "oncall@platform.test"))).toHaveLength(0);
    expect(postsTo("/real/mail-loop")).toHaveLength(0);

    // Our own acknowledgement, bounced straight back by a forwarding rule, starts nothing either.
    const sent = await deliver(t, { from: "ann@acme.test", subject: "Question", text: "?" });
    const [ack] = await waitFor(() => nonEmpty(mailsTo("ann@acme.test")), "the acknowledgement");
    const id = idFrom(sent.response)!;
    const echoed = await deliver(t, { from: "On-call <oncall@platform.test>", subject: ack!.mail.subject!, text: ack!.mail.text!, messageId: ack!.mail.messageId, headers: { "Auto-Submitted": "auto-replied" } });
    expect(echoed.code).toBe(250);
    await settle();
    expect(mailsTo("ann@acme.test")).toHaveLength(1);
    expect((await incident(t, id)).thread).toHaveLength(2);
  });
});
