import { afterAll, beforeAll, expect, it } from "vitest";
import { CONSOLE_TOKEN, type TestLine } from "../helpers/line.ts";
import { idFrom, startMailRig } from "../helpers/mail-rig.ts";
import { nonEmpty, waitFor } from "../helpers/receivers.ts";
import { form, PEOPLE, signIn, writeStaffFile } from "../helpers/staff.ts";

// The case buttons on an email incident's console page (no call behind it): each does what it says, lands
// back on the incident's own page, and what reaches the partner is exactly our reply, caught by a real SMTP
// server. A private note never leaves; a close by staff sends no closing mail.

let rig: Awaited<ReturnType<typeof startMailRig>>;
let t: TestLine;
let id: string;
const PARTNER = "eve@acme.test";

beforeAll(async () => {
  rig = await startMailRig();
  t = await rig.line("mail-case-actions", { STAFF_FILE: await writeStaffFile() });
  const opened = await rig.deliver(t, { from: `Eve <${PARTNER}>`, subject: "URGENT: payouts failing", text: "Every payout since 09:00 answers 502." });
  expect(opened.code).toBe(250);
  id = idFrom(opened.response)!;
  await waitFor(() => nonEmpty(rig.mailsTo(PARTNER)), "the acknowledgement");
}, 30_000);
afterAll(() => rig?.close());

const caseNow = async () => (await t.line.views.get(id))!.case;

it("an engineer assigns, notes, replies, closes and reopens an email case from its page", async () => {
  const ed = await signIn(t.line.url, PEOPLE.engineer.email);
  const pageUrl = `${t.line.url}/console/incidents/${id}`;
  const open = async () => (await fetch(pageUrl, { headers: { cookie: ed.cookie } })).text();
  const act = async (verb: string, body: Record<string, string> = {}) => {
    const response = await form(t.line.url, `/console/incidents/${id}/${verb}`, { _csrf: ed.csrf, ...body }, { cookie: ed.cookie });
    expect(response.status, `${verb}: ${response.status === 303 ? "" : await response.text()}`).toBe(303);
    // Back to the email incident's own page (it has no call page), with what was done.
    expect(response.headers.get("location"), verb).toMatch(new RegExp(`^/console/incidents/${id}\\?done=`));
    return decodeURIComponent(response.headers.get("location")!.split("done=")[1]!);
  };

  const page = await open();
  expect((await t.line.views.get(id))!.channel).toBe("email");
  for (const button of ["Assign owner", "Close case", "Add note", "Record partner reply"]) expect(page).toContain(`>${button}</button>`);
  expect(page).toContain(`action="/console/incidents/${id}/messages"`);

  expect(await act("assign", { owner: PEOPLE.admin.email })).toBe("Owner assigned.");
  expect(await caseNow()).toMatchObject({ owner: PEOPLE.admin.email, ownerName: PEOPLE.admin.name });

  const note = /name="note" value="([0-9a-f]{16})"/.exec(page)![1]!;
  const secret = "Eve's CTO is on the bridge; do not mention the refund.";
  expect(await act("notes", { note, text: secret })).toBe("Note added.");
  await act("notes", { note, text: secret }); // a resubmitted form
  expect(await t.line.notes.list(id)).toEqual([expect.objectContaining({ by: PEOPLE.engineer.email, text: secret })]);

  const acknowledgements = rig.mailsTo(PARTNER).length;
  // A reply form sent empty or overlong is refused as the API refuses it, naming the field; nothing is queued.
  for (const [text, words] of [["   ", "Not sent: text: write something"], ["x".repeat(20_001), "Not sent: text: at most 20000 characters"]] as const) {
    const refused = await form(t.line.url, `/console/incidents/${id}/messages`, { _csrf: ed.csrf, text }, { cookie: ed.cookie });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain(words);
  }
  expect((await t.line.views.get(id))!.thread.filter((m) => m.kind === "reply")).toEqual([]);
  const replyId = /name="reply" value="([0-9a-f]{16})"/.exec(page)![1]!;
  expect(await act("messages", { reply: replyId, text: "We see the 502s on payouts and are on it." })).toMatch(/^Reply queued/);
  // The same form sent again (a double click, a browser retry): the same message, not a second email.
  expect(await act("messages", { reply: replyId, text: "We see the 502s on payouts and are on it." })).toMatch(/^Reply queued/);
  expect((await t.line.views.get(id))!.thread.filter((m) => m.kind === "reply")).toHaveLength(1);
  const [reply] = await waitFor(() => nonEmpty(rig.mailsTo(PARTNER).filter((m) => m.mail.text?.includes("We see the 502s"))), "our reply over SMTP");
  // In the partner's thread: it answers their message, and carries the incident id.
  const first = (await t.line.views.get(id))!.thread.find((m) => m.kind === "partner")!;
  expect(reply!.mail.inReplyTo).toBe(first.messageId);
  expect(reply!.mail.subject).toContain(id);
  await waitFor(async () => (await caseNow()).state === "awaiting-reply", "the hold after our reply");

  expect(await act("close")).toBe("Case closed.");
  expect(await caseNow()).toMatchObject({ state: "closed", closedBy: PEOPLE.engineer.email });
  expect(await act("reopen")).toBe("Case reopened.");
  const reopened = await caseNow();
  expect(reopened.state).toBe("awaiting-reply");
  expect(reopened).not.toHaveProperty("closedBy");
  expect(await act("reply")).toBe("Partner reply recorded; the case stays open.");
  expect((await caseNow()).state).toBe("partner-replied");

  // The page shows it all: the owner, the note, the notice of the last action, the case's events.
  const after = await open();
  expect(after).toContain(`owner: ${PEOPLE.admin.name}`);
  expect(after).toContain("<pre>Eve&#39;s CTO is on the bridge; do not mention the refund.</pre>");
  expect(after).toContain("Case closed by Ed Engineer");

  // Only our reply went out after the acknowledgement, once: no note, no closing mail for a staff close.
  await new Promise((resolve) => setTimeout(resolve, 300));
  const sent = rig.mailsTo(PARTNER);
  expect(sent).toHaveLength(acknowledgements + 1);
  expect(sent.some((m) => `${m.mail.subject} ${m.mail.text} ${String(m.mail.html)}`.includes("refund"))).toBe(false);

  const trail = (await t.line.staff.audit.list({ person: PEOPLE.engineer.email })).filter((e) => e.target === id).map((e) => e.action);
  expect(trail.sort()).toEqual(["case.assign", "case.close", "case.message", "case.note", "case.reopen", "case.reply"]);
}, 30_000);

it("a viewer may open an email case's page but not act on it", async () => {
  const vera = await signIn(t.line.url, PEOPLE.viewer.email);
  const page = await (await fetch(`${t.line.url}/console/incidents/${id}`, { headers: { cookie: vera.cookie } })).text();
  expect(page).toContain(id);
  expect(page).not.toContain(">Add note</button>");
  const before = await caseNow();
  const mails = rig.smtp.messages.length;
  for (const [verb, body] of [["assign", { owner: PEOPLE.viewer.email }], ["notes", { note: "0123456789abcdef", text: "mine" }], ["close", {}], ["messages", { text: "hello" }]] as const) {
    expect((await form(t.line.url, `/console/incidents/${id}/${verb}`, { _csrf: vera.csrf, ...body }, { cookie: vera.cookie })).status, verb).toBe(403);
  }
  expect(await caseNow()).toEqual(before);
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(rig.smtp.messages.length).toBe(mails);
});

it("a reply sent through the API and retried with the same reply id goes out once", async () => {
  const post = async () => {
    const response = await fetch(`${t.line.url}/api/incidents/${id}/messages`, {
      method: "POST",
      headers: { authorization: `Bearer ${CONSOLE_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ reply: "00000000000000bb", text: "Payouts are flowing again; please confirm." }),
    });
    return { status: response.status, json: (await response.json()) as { added: boolean; message: { messageId: string } } };
  };
  const first = await post();
  expect(first.status).toBe(202);
  expect(first.json.added).toBe(true);
  const retried = await post(); // the client timed out and tries again
  expect(retried.status).toBe(202);
  expect(retried.json).toMatchObject({ added: false, message: { messageId: first.json.message.messageId } });
  await waitFor(() => nonEmpty(rig.mailsTo(PARTNER).filter((m) => m.mail.text?.includes("Payouts are flowing again"))), "the reply over SMTP");
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(rig.mailsTo(PARTNER).filter((m) => m.mail.text?.includes("Payouts are flowing again"))).toHaveLength(1);
  expect((await t.line.views.get(id))!.thread.filter((m) => m.text.includes("Payouts are flowing again"))).toHaveLength(1);
}, 30_000);
