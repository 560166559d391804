import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditEntry } from "../../src/console/staff/audit.ts";
import { CONSOLE_TOKEN, ENGINEERS, startTestLine, TestCall, type TestLine } from "../helpers/line.ts";
import { ownRedis } from "../helpers/processes.ts";
import { form, PEOPLE, signIn, writeStaffFile } from "../helpers/staff.ts";

let t: TestLine;
let staffFile: string;

beforeAll(async () => {
  staffFile = await writeStaffFile();
  t = await startTestLine("audit", { env: { STAFF_FILE: staffFile } });
});
afterAll(async () => {
  await t.stop();
});

const latest = async (action: string): Promise<AuditEntry> => (await t.line.staff.audit.list({ action }, 1))[0]!;

describe("the audit trail records every change", () => {
  it("a roster change by an admin: who, when, what, before and after", async () => {
    const ada = await signIn(t.line.url, PEOPLE.admin.email);
    const started = Date.now();
    expect((await form(t.line.url, "/console/roster/move-up/2", { _csrf: ada.csrf }, { cookie: ada.cookie })).status).toBe(303);
    const entry = await latest("roster.move-up");
    expect(entry).toMatchObject({ actor: PEOPLE.admin.email, actorName: "Ada Admin", role: "admin", via: "password", target: "roster level 2", before: ENGINEERS, after: [ENGINEERS[1], ENGINEERS[0], ENGINEERS[2]] });
    expect(Date.parse(entry.at)).toBeGreaterThanOrEqual(started - 1000);
    await form(t.line.url, "/console/roster/move-up/2", { _csrf: ada.csrf }, { cookie: ada.cookie });
  });

  it("a case action by an engineer, with the case before and after; a refused one records nothing", async () => {
    const c = new TestCall(t.twilio, "+15557770042");
    await c.incoming();
    for (const level of [1, 2, 3]) await c.dialEnded(level, "busy");
    await c.recorded(20);
    await c.hungUp(60);
    const { incidentId } = (await t.twilio.api(`/api/calls/${c.callSid}`)).json;
    const ed = await signIn(t.line.url, PEOPLE.engineer.email);
    expect((await form(t.line.url, `/console/incidents/${incidentId}/reply`, { _csrf: ed.csrf }, { cookie: ed.cookie })).status).toBe(303);
    expect(await latest("case.reply")).toMatchObject({ actor: PEOPLE.engineer.email, role: "engineer", target: incidentId, before: { state: "open" }, after: { state: "partner-replied" } });

    const count = (await t.line.staff.audit.list({ action: "case" })).length;
    expect((await form(t.line.url, `/console/incidents/${incidentId}/reopen`, { _csrf: ed.csrf }, { cookie: ed.cookie })).status).toBe(409);
    expect((await t.line.staff.audit.list({ action: "case" })).length).toBe(count);
  });

  it("an on-call override added and deleted by an engineer: the override itself after, then before", async () => {
    const ed = await signIn(t.line.url, PEOPLE.engineer.email);
    const added = await form(t.line.url, "/console/oncall/overrides", { _csrf: ed.csrf, level: "1", engineer: "Grace", from: "2026-12-01T10:00", to: "2026-12-01T12:00" }, { cookie: ed.cookie });
    expect(added.status).toBe(303);
    const add = await latest("override.add");
    expect(add).toMatchObject({ actor: PEOPLE.engineer.email, role: "engineer", before: [], after: [{ level: 1, engineer: "Grace", createdBy: PEOPLE.engineer.email }] });
    const id = (add.after as { id: string }[])[0]!.id;
    expect((await form(t.line.url, `/console/oncall/overrides/${id}/delete`, { _csrf: ed.csrf }, { cookie: ed.cookie })).status).toBe(303);
    expect(await latest("override.delete")).toMatchObject({ actor: PEOPLE.engineer.email, target: id, before: [{ id, engineer: "Grace" }], after: [] });
  });

  it("a drill report published with CONSOLE_TOKEN, named as automation", async () => {
    const report = { startedAt: "2026-11-24T10:00:00.000Z", target: "https://oncall.example.test", realMs: 5, passed: true, scenarios: [] };
    const posted = await fetch(`${t.line.url}/api/drill-reports`, { method: "POST", headers: { authorization: `Bearer ${CONSOLE_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(report) });
    expect(posted.status).toBe(201);
    expect(await latest("drill.published")).toMatchObject({ actor: "console-token", via: "console-token", role: "admin", after: { startedAt: report.startedAt, target: report.target, passed: true, scenarios: 0 } });
  });

  it("a queue paused from the queues board, with the queue's state before and after", async () => {
    const ada = await signIn(t.line.url, PEOPLE.admin.email);
    const paused = await fetch(`${t.line.url}/console/queues/api/queues/followup-email/pause`, { method: "PUT", headers: { cookie: ada.cookie, "x-xsrf-token": ada.csrf } });
    expect(paused.status).toBe(200);
    expect(await latest("queue.pause")).toMatchObject({ actor: PEOPLE.admin.email, target: "followup-email", before: { paused: false }, after: { paused: true } });
    await t.line.queues.email.resume();
  });

  it("sign-ins, refused sign-ins, sign-outs, sign-out everywhere, tokens issued and revoked", async () => {
    const vera = await signIn(t.line.url, PEOPLE.viewer.email);
    await form(t.line.url, "/console/login", { email: PEOPLE.viewer.email, password: "a wrong password" });
    const issued = await form(t.line.url, "/console/account/tokens", { _csrf: vera.csrf, label: "wallboard" }, { cookie: vera.cookie });
    const token = /<code class="token">([^<]+)<\/code>/.exec(await issued.text())![1]!;
    const id = token.split("_")[1]!;
    await form(t.line.url, `/console/account/tokens/${id}/revoke`, { _csrf: vera.csrf }, { cookie: vera.cookie });
    await form(t.line.url, "/console/logout", { _csrf: vera.csrf }, { cookie: vera.cookie });
    const ada = await signIn(t.line.url, PEOPLE.admin.email);
    await form(t.line.url, "/console/staff/sign-out-everywhere", { _csrf: ada.csrf, email: PEOPLE.viewer.email }, { cookie: ada.cookie });

    await form(t.line.url, "/console/login", { email: "nobody@elsewhere.test", password: "a guess" });
    expect(await latest("auth.sign-in-refused")).toMatchObject({ actor: "nobody@elsewhere.test", role: "", target: "nobody@elsewhere.test", after: { ip: "127.0.0.1" } });
    const vera_ = (await t.line.staff.audit.list({ person: "vera" })).map((e) => e.action);
    expect(vera_).toEqual(expect.arrayContaining(["auth.sign-in", "auth.sign-in-refused", "token.issued", "token.revoked", "auth.sign-out"]));
    expect(await latest("token.issued")).toMatchObject({ actor: PEOPLE.viewer.email, target: `${PEOPLE.viewer.email} token ${id}`, after: { id, label: "wallboard", role: "viewer" } });
    // The token itself is never recorded.
    // (`elt_<id>_<secret>`: the secret is base64url, so it may hold "_" itself.)
    expect(JSON.stringify(await t.line.staff.audit.list())).not.toContain(token.slice(`elt_${id}_`.length));
    expect(await latest("auth.sign-out-everywhere")).toMatchObject({ actor: PEOPLE.admin.email, target: PEOPLE.viewer.email, after: { sessions: 0 } });
  });
});

describe("/console/audit", () => {
  it("lists entries newest first, filtered by person, action and date", async () => {
    const ada = await signIn(t.line.url, PEOPLE.admin.email);
    const open = async (query: string) => {
      const response = await fetch(`${t.line.url}/console/audit${query}`, { headers: { cookie: ada.cookie } });
      return { status: response.status, text: await response.text() };
    };
    const all = await open("");
    expect(all.status).toBe(200);
    const actions = [...all.text.matchAll(/<td class="action">([^<]+)<\/td>/g)].map((m) => m[1]);
    expect(actions[0]).toBe("auth.sign-in"); // Ada's, just now
    expect(actions).toEqual(expect.arrayContaining(["roster.move-up", "case.reply", "drill.published", "queue.pause", "token.issued"]));

    const eds = await open("?person=ed%40platform.test&action=&from=&to=");
    const edActions = [...eds.text.matchAll(/<td class="action">([^<]+)<\/td>/g)].map((m) => m[1]);
    expect(edActions.length).toBeGreaterThan(0);
    expect(eds.text).not.toContain('title="ada@platform.test via');
    expect((await open("?action=case")).text).not.toContain("roster.move-up");

    const today = new Date().toISOString().slice(0, 10);
    expect((await open(`?from=${today}&to=${today}&action=roster`)).text).toContain("roster.move-up");
    expect((await open("?to=2020-01-01")).text).toContain("Nothing recorded matching these filters.");
    const bad = await open("?from=yesterday");
    expect(bad.status).toBe(400);
    expect(bad.text).toContain("Not filtered: from: a date, YYYY-MM-DD");
  });
});

describe("the audit trail survives a restart of Redis and of the line", () => {
  it("still lists what was recorded before both restarted", async () => {
    const redis = await ownRedis();
    const env = { STAFF_FILE: staffFile, REDIS_URL: redis.url };
    const first = await startTestLine("audit-restart", { env });
    const ada = await signIn(first.line.url, PEOPLE.admin.email);
    await form(first.line.url, "/console/roster/move-up/3", { _csrf: ada.csrf }, { cookie: ada.cookie });
    await first.line.stop();
    first.redis.disconnect();
    await redis.stop();
    await redis.start();

    const second = await startTestLine("audit-restart", { env, prefix: first.prefix });
    try {
      const again = await signIn(second.line.url, PEOPLE.admin.email);
      const page = await (await fetch(`${second.line.url}/console/audit?action=roster`, { headers: { cookie: again.cookie } })).text();
      expect(page).toContain("roster.move-up");
      expect(page).toContain("roster level 3");
    } finally {
      await second.stop();
      await redis.stop();
    }
  });
});
