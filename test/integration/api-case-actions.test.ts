import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSOLE_TOKEN, startTestLine, TestCall, type TestLine } from "../helpers/line.ts";
import { form, PEOPLE, signIn, writeStaffFile } from "../helpers/staff.ts";

// The case actions through the staff API (POST /api/incidents/:id/close|reopen|assign|notes), with a
// person's API token or CONSOLE_TOKEN: the same checks, answers and audit entries as the console's buttons.

let t: TestLine;
let incidentId: string;
const token: Record<"viewer" | "engineer", string> = { viewer: "", engineer: "" };

beforeAll(async () => {
  t = await startTestLine("api-case-actions", { env: { STAFF_FILE: await writeStaffFile() } });
  const c = new TestCall(t.twilio, "+15557770072");
  await c.incoming();
  for (const level of [1, 2, 3]) await c.dialEnded(level, "no-answer");
  await c.recorded(25);
  await c.hungUp(80);
  incidentId = (await t.twilio.api(`/api/calls/${c.callSid}`)).json.incidentId;
  for (const role of ["viewer", "engineer"] as const) {
    const { cookie, csrf } = await signIn(t.line.url, PEOPLE[role].email);
    const issued = await form(t.line.url, "/console/account/tokens", { _csrf: csrf, label: "api case actions" }, { cookie });
    token[role] = /<code class="token">([^<]+)<\/code>/.exec(await issued.text())![1]!;
  }
});
afterAll(async () => {
  await t?.stop();
});

const api = async (path: string, { bearer, body, raw, type = "application/json" }: { bearer?: string; body?: unknown; raw?: string; type?: string } = {}) => {
  const headers: Record<string, string> = { "content-type": type };
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  const response = await fetch(`${t.line.url}/api${path}`, { method: "POST", headers, body: raw ?? JSON.stringify(body ?? {}) });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // the assertion on the status says what came back
  }
  return { status: response.status, json, text };
};
const caseNow = async () => (await t.line.views.get(incidentId))!.case;

describe("an engineer's API token", () => {
  it("assigns, notes (once per retry), closes and reopens a case, each audited as the console's button is", async () => {
    const ed = { bearer: token.engineer };
    const assigned = await api(`/incidents/${incidentId}/assign`, { ...ed, body: { owner: PEOPLE.admin.email } });
    expect(assigned.status).toBe(200);
    expect(assigned.json.case).toMatchObject({ owner: PEOPLE.admin.email, ownerName: PEOPLE.admin.name });

    const first = await api(`/incidents/${incidentId}/notes`, { ...ed, body: { text: "Rang Acme back: their gateway is down." } });
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ added: true, note: { by: PEOPLE.engineer.email, byName: PEOPLE.engineer.name, text: "Rang Acme back: their gateway is down." } });
    // The client retries (a timeout, say): the note is there once, and the answer says it was stored before.
    const retried = await api(`/incidents/${incidentId}/notes`, { ...ed, body: { text: "Rang Acme back: their gateway is down." } });
    expect(retried.status).toBe(200);
    expect(retried.json).toMatchObject({ added: false, note: first.json.note as object });
    // A note with its own id: a second note of the same words is a second note.
    expect((await api(`/incidents/${incidentId}/notes`, { ...ed, body: { note: "00000000000000aa", text: "Rang Acme back: their gateway is down." } })).status).toBe(201);
    expect(await t.line.notes.list(incidentId)).toHaveLength(2);

    const closed = await api(`/incidents/${incidentId}/close`, ed);
    expect(closed.status).toBe(200);
    expect(closed.json.case).toMatchObject({ state: "closed", closedBy: PEOPLE.engineer.email });
    const again = await api(`/incidents/${incidentId}/close`, ed);
    expect(again.status).toBe(409);
    expect(again.json.error).toBe(`case ${incidentId} is closed already`);

    const reopened = await api(`/incidents/${incidentId}/reopen`, ed);
    expect(reopened.status).toBe(200);
    expect(reopened.json.case).toMatchObject({ state: "awaiting-reply" });
    expect(reopened.json.case).not.toHaveProperty("closedBy");

    const entries = (await t.line.staff.audit.list({ person: PEOPLE.engineer.email })).filter((e) => e.action.startsWith("case."));
    const of = (action: string) => entries.filter((e) => e.action === action);
    expect(of("case.assign")).toEqual([expect.objectContaining({ via: "api-token", target: incidentId, before: expect.objectContaining({ state: "open" }), after: expect.objectContaining({ owner: PEOPLE.admin.email }) })]);
    // Two notes stored, two entries: the retry that stored nothing wrote none. The entry names the note's id.
    expect(of("case.note").map((e) => e.after)).toEqual([
      { note: "00000000000000aa", text: "Rang Acme back: their gateway is down." },
      { note: (first.json.note as { id: string }).id, text: "Rang Acme back: their gateway is down." },
    ]);
    expect(of("case.close")).toEqual([expect.objectContaining({ before: expect.objectContaining({ state: "open" }), after: expect.objectContaining({ state: "closed", closedBy: PEOPLE.engineer.email }) })]);
    expect(of("case.reopen")).toEqual([expect.objectContaining({ before: expect.objectContaining({ state: "closed" }), after: expect.objectContaining({ state: "awaiting-reply" }) })]);
  });

  it("CONSOLE_TOKEN acts as automation, named so on the note and in the trail", async () => {
    const noted = await api(`/incidents/${incidentId}/notes`, { bearer: CONSOLE_TOKEN, body: { text: "Synced from the ticket system." } });
    expect(noted.status).toBe(201);
    expect(noted.json.note).toMatchObject({ by: "console-token", byName: "CONSOLE_TOKEN (automation)" });
    expect((await t.line.staff.audit.list({ person: "console-token" })).map((e) => e.action)).toContain("case.note");
  });
});

describe("hostile input on the case actions: a clear 4xx, and nothing changes", () => {
  it("refuses unknown incidents, bad bodies, oversize bodies, the wrong role and no auth", async () => {
    const caseBefore = await caseNow();
    const notesBefore = await t.line.notes.list(incidentId);
    const trailBefore = await t.line.staff.audit.list({});
    const ed = { bearer: token.engineer };
    const seen: [string, number][] = [];
    const expectStatus = async (label: string, call: Promise<{ status: number; json: Record<string, unknown> }>, status: number, error?: RegExp) => {
      const answer = await call;
      seen.push([label, answer.status]);
      expect(answer.status, label).toBe(status);
      if (error) expect(String(answer.json.error), label).toMatch(error);
      return answer;
    };

    // No such incident: 404 naming it, for each verb (with a body that is otherwise fine).
    for (const [verb, body] of [["close", {}], ["reopen", {}], ["reply", {}], ["assign", { owner: PEOPLE.admin.email }], ["notes", { text: "hello" }]] as const) {
      await expectStatus(`unknown ${verb}`, api(`/incidents/INC-20990101-NOPE/${verb}`, { ...ed, body }), 404, /^no incident INC-20990101-NOPE$/);
    }
    // Not JSON; JSON that is not the object asked for; fields missing, mistyped or wrong.
    await expectStatus("bad JSON", api(`/incidents/${incidentId}/notes`, { ...ed, raw: '{"text": "unterminated' }), 400, /not valid JSON/);
    await expectStatus("array body", api(`/incidents/${incidentId}/assign`, { ...ed, body: [PEOPLE.admin.email] }), 400, /^body: .*expected object/);
    const noText = await expectStatus("note without text", api(`/incidents/${incidentId}/notes`, { ...ed, body: {} }), 400, /^text: required/);
    expect(noText.json.field).toBe("text");
    await expectStatus("note of spaces", api(`/incidents/${incidentId}/notes`, { ...ed, body: { text: "   " } }), 400, /^text: write something/);
    await expectStatus("note as a number", api(`/incidents/${incidentId}/notes`, { ...ed, body: { text: 42 } }), 400, /^text:/);
    await expectStatus("bad note id", api(`/incidents/${incidentId}/notes`, { ...ed, body: { note: "../../x", text: "hi" } }), 400, /^note: /);
    await expectStatus("note too long", api(`/incidents/${incidentId}/notes`, { ...ed, body: { text: "x".repeat(10_001) } }), 400, /at most 10000 characters/);
    const badOwner = await expectStatus("owner not an email", api(`/incidents/${incidentId}/assign`, { ...ed, body: { owner: "nobody" } }), 400, /^owner: a staff member's email$/);
    expect(badOwner.json.field).toBe("owner");
    await expectStatus("owner not on staff", api(`/incidents/${incidentId}/assign`, { ...ed, body: { owner: "mallory@elsewhere.test" } }), 400, /^owner: mallory@elsewhere.test is not on the staff$/);
    await expectStatus("empty reply", api(`/incidents/${incidentId}/messages`, { ...ed, body: { text: "" } }), 400, /^text: write something$/);
    await expectStatus("bad reply id", api(`/incidents/${incidentId}/messages`, { ...ed, body: { reply: "x'; DROP", text: "hello" } }), 400, /^reply: /);
    await expectStatus("reply to nowhere", api(`/incidents/INC-20990101-NOPE/messages`, { ...ed, body: { text: "hello" } }), 404, /^no incident/);
    await expectStatus("reopen an open case", api(`/incidents/${incidentId}/reopen`, ed), 409, /not closed/);
    // Over the API's body limit (256 KB): 413, read no further.
    await expectStatus("oversize", api(`/incidents/${incidentId}/notes`, { ...ed, body: { text: "x".repeat(300_000) } }), 413, /too large/);
    // A viewer's token reads but may not act; no token, or a made-up one, is nobody.
    for (const verb of ["close", "reopen", "assign", "notes"]) {
      await expectStatus(`viewer ${verb}`, api(`/incidents/${incidentId}/${verb}`, { bearer: token.viewer, body: { owner: PEOPLE.viewer.email, text: "mine" } }), 403, /needs the engineer role/);
      await expectStatus(`no auth ${verb}`, api(`/incidents/${incidentId}/${verb}`, { body: { owner: PEOPLE.viewer.email, text: "mine" } }), 401, /^unauthorized/);
      await expectStatus(`bad token ${verb}`, api(`/incidents/${incidentId}/${verb}`, { bearer: "elt_not-a-real-token", body: { text: "mine" } }), 401, /^unauthorized/);
    }

    expect(seen.filter(([, status]) => status >= 500)).toEqual([]);
    expect(await caseNow()).toEqual(caseBefore);
    expect(await t.line.notes.list(incidentId)).toEqual(notesBefore);
    // Refusals write nothing to the trail.
    expect((await t.line.staff.audit.list({})).filter((e) => e.action.startsWith("case."))).toEqual(trailBefore.filter((e) => e.action.startsWith("case.")));
  });
});
