import { afterAll, beforeAll, expect, it } from "vitest";
import { startTestLine, TestCall, type TestLine } from "../helpers/line.ts";
import { form, PEOPLE, signIn, writeStaffFile } from "../helpers/staff.ts";

let t: TestLine;
let incidentId: string;
let callSid: string;

beforeAll(async () => {
  t = await startTestLine("case-actions", { env: { STAFF_FILE: await writeStaffFile() } });
  const c = new TestCall(t.twilio, "+15557770071");
  await c.incoming();
  for (const level of [1, 2, 3]) await c.dialEnded(level, "no-answer");
  await c.recorded(25);
  await c.hungUp(80);
  callSid = c.callSid;
  incidentId = (await t.twilio.api(`/api/calls/${c.callSid}`)).json.incidentId;
});
afterAll(async () => {
  await t?.stop();
});

const page = async (cookie: string) => (await fetch(`${t.line.url}/console/calls/${callSid}`, { headers: { cookie } })).text();
const noteId = (html: string) => /name="note" value="([0-9a-f]{16})"/.exec(html)![1]!;

it("an engineer assigns, notes, closes and reopens a case; each change is audited with before and after", async () => {
  const ed = await signIn(t.line.url, PEOPLE.engineer.email);
  const act = (verb: string, body: Record<string, string> = {}) => form(t.line.url, `/console/incidents/${incidentId}/${verb}`, { _csrf: ed.csrf, ...body }, { cookie: ed.cookie });

  const assigned = await act("assign", { owner: PEOPLE.admin.email });
  expect(assigned.status).toBe(303);
  expect(assigned.headers.get("location")).toBe(`/console/calls/${callSid}?done=Owner%20assigned.`);
  expect((await t.line.views.get(incidentId))!.case).toMatchObject({ owner: PEOPLE.admin.email, ownerName: PEOPLE.admin.name });

  const before = await page(ed.cookie);
  const note = noteId(before);
  expect((await act("notes", { note, text: "Called Acme back: their gateway is down." })).status).toBe(303);
  // The same form sent twice (a reload, a retry) adds the note once.
  expect((await act("notes", { note, text: "Called Acme back: their gateway is down." })).status).toBe(303);
  const notes = await t.line.notes.list(incidentId);
  expect(notes).toHaveLength(1);
  expect(notes[0]).toMatchObject({ by: PEOPLE.engineer.email, byName: PEOPLE.engineer.name, text: "Called Acme back: their gateway is down." });
  expect(await page(ed.cookie)).toContain("<pre>Called Acme back: their gateway is down.</pre>");

  expect((await act("close")).status).toBe(303);
  expect((await t.line.views.get(incidentId))!.case).toMatchObject({ state: "closed", closedBy: PEOPLE.engineer.email });
  expect((await act("close")).status).toBe(409);
  expect((await act("reopen")).status).toBe(303);
  // Reopened, it is no longer closed by anyone: who closed it and when stay in the timeline and the audit.
  const reopened = (await t.line.views.get(incidentId))!;
  expect(reopened.case.state).toBe("awaiting-reply");
  expect(reopened.case).not.toHaveProperty("closedBy");
  expect(reopened.case).not.toHaveProperty("closedAt");
  expect(JSON.stringify(reopened.timeline)).toContain(`Case closed by ${PEOPLE.engineer.name}`);

  // Bad forms: a 400 naming the field, and nothing changes.
  expect(await (await act("assign", { owner: "stranger@elsewhere.test" })).text()).toContain("owner: stranger@elsewhere.test is not on the staff");
  expect(await (await act("notes", { note: "nope", text: "x" })).text()).toContain("note: the form&#39;s note id");
  expect((await act("notes", { note: noteId(before).replace(/./, "f"), text: "   " })).status).toBe(400);
  expect((await fetch(`${t.line.url}/console/incidents/INC-NOPE/close`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", cookie: ed.cookie }, body: new URLSearchParams({ _csrf: ed.csrf }) })).status).toBe(404);

  const entries = (await t.line.staff.audit.list({ person: PEOPLE.engineer.email })).filter((e) => e.action.startsWith("case."));
  const byAction = (action: string) => entries.filter((e) => e.action === action);
  expect(byAction("case.assign")).toHaveLength(1);
  expect(byAction("case.assign")[0]).toMatchObject({ target: incidentId, before: { state: "open" }, after: { state: "open", owner: PEOPLE.admin.email } });
  expect(byAction("case.note")[0]).toMatchObject({ target: incidentId, after: { note, text: "Called Acme back: their gateway is down." } });
  expect(byAction("case.close")).toHaveLength(1);
  expect(byAction("case.close")[0]).toMatchObject({ before: { state: "open" }, after: { state: "closed" } });
  expect(byAction("case.reopen")[0]).toMatchObject({ before: { state: "closed", closedBy: PEOPLE.engineer.email }, after: { state: "awaiting-reply" } });
  expect(byAction("case.reopen")[0]!.after).not.toHaveProperty("closedBy");
});

it("a viewer sees no case buttons, and each case action they post is refused with 403 and changes nothing", async () => {
  const vera = await signIn(t.line.url, PEOPLE.viewer.email);
  const html = await page(vera.cookie);
  for (const button of ["Assign owner", "Close case", "Reopen case", "Add note", "Record partner reply"]) expect(html).not.toContain(`>${button}</button>`);
  const caseBefore = (await t.line.views.get(incidentId))!.case;
  for (const [verb, body] of [["assign", { owner: PEOPLE.viewer.email }], ["notes", { note: "0123456789abcdef", text: "mine" }], ["close", {}], ["reopen", {}], ["reply", {}], ["messages", { text: "hello" }]] as const) {
    const response = await form(t.line.url, `/console/incidents/${incidentId}/${verb}`, { _csrf: vera.csrf, ...body }, { cookie: vera.cookie });
    expect(response.status, verb).toBe(403);
  }
  expect((await t.line.views.get(incidentId))!.case).toEqual(caseBefore);
  expect((await t.line.staff.audit.list({ person: PEOPLE.viewer.email })).filter((e) => e.action.startsWith("case."))).toEqual([]);
});
