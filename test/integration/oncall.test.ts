import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSOLE_TOKEN, startTestLine, TestCall, type TestLine } from "../helpers/line.ts";

const SCHEDULE = `
timeZone: Europe/London
engineers:
  Ada:   { number: "+15550001001" }
  Grace: { number: "+15550001002" }
  Linus: { number: "+15550001003", timeZone: America/New_York }
  Mary:  { number: "+15550001004" }
levels:
  - name: primary
    layers:
      - { engineers: [Ada, Grace], shift: 1 week, handover: Monday 09:00, start: 2026-11-02 }
      - engineers: [Linus]
        shift: 1 day
        handover: "20:00"
        start: 2026-11-02
        timeZone: America/New_York
        active: { days: [Mon, Tue, Wed, Thu, Fri], from: "20:00", to: "08:00" }
  - name: secondary
    layers: [ { engineers: [Grace, Mary], shift: 1 week, handover: Monday 09:00, start: 2026-11-02 } ]
`;

const numbersDialled = (twiml: string) => [...twiml.matchAll(/<Number[^>]*>([^<]+)<\/Number>/g)].map((m) => m[1]);

async function api(t: TestLine, method: string, path: string, body?: unknown, token: string | null = CONSOLE_TOKEN) {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(`${t.line.url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, type: response.headers.get("content-type") ?? "", text, json: text.startsWith("{") ? JSON.parse(text) : null };
}

describe("on-call schedule (SCHEDULE_FILE, no ENGINEERS) through the API and a call", () => {
  let t: TestLine;
  let clock = new Date("2026-11-04T15:00:00Z");

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), "el-schedule-"));
    writeFileSync(join(dir, "schedule.yaml"), SCHEDULE);
    t = await startTestLine("oncall", { env: { SCHEDULE_FILE: join(dir, "schedule.yaml"), ENGINEERS: "" }, now: () => clock });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("GET /api/oncall?at= answers each level's engineer with since/until, after the follow-the-sun layer", async () => {
    const day = await api(t, "GET", `/api/oncall?at=${encodeURIComponent("2026-11-04T15:00:00+00:00")}`);
    expect(day.status).toBe(200);
    expect(day.json).toEqual({
      at: "2026-11-04T15:00:00.000Z",
      levels: [
        // Linus had the New York night until 08:00 EST (13:00Z); he takes over again at 20:00 EST.
        { level: 1, name: "primary", engineer: { name: "Ada", number: "+15550001001" }, since: "2026-11-04T13:00:00.000Z", until: "2026-11-05T01:00:00.000Z", override: null },
        { level: 2, name: "secondary", engineer: { name: "Grace", number: "+15550001002" }, since: "2026-11-02T09:00:00.000Z", until: "2026-11-09T09:00:00.000Z", override: null },
      ],
    });
    const night = await api(t, "GET", "/api/oncall?at=2026-11-04T20:30:00-05:00");
    expect(night.json.levels[0]).toMatchObject({ engineer: { name: "Linus" }, since: "2026-11-05T01:00:00.000Z", until: "2026-11-05T13:00:00.000Z" });
    // Without `at`: the line's own clock.
    expect((await api(t, "GET", "/api/oncall")).json.at).toBe(clock.toISOString());
  });

  it("refuses an instant without an offset, and asks for the bearer token", async () => {
    const local = await api(t, "GET", "/api/oncall?at=2026-11-04T15:00:00");
    expect(local.status).toBe(400);
    expect(local.json.error).toMatch(/^at: an ISO 8601 date-time with an offset/);
    expect((await api(t, "GET", "/api/oncall", undefined, null)).status).toBe(401);
  });

  it("an override beats the rotation for [from, to), records who made it and when, and can be deleted", async () => {
    const created = await api(t, "POST", "/api/oncall/overrides", { level: 1, engineer: "Mary", from: "2026-11-04T14:00:00+00:00", to: "2026-11-04T11:00:00-05:00" });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ id: expect.any(String), level: 1, engineer: "Mary", from: "2026-11-04T14:00:00.000Z", to: "2026-11-04T16:00:00.000Z", createdBy: "api", createdAt: clock.toISOString() });
    const during = await api(t, "GET", "/api/oncall?at=2026-11-04T15:00:00Z");
    expect(during.json.levels[0]).toEqual({ level: 1, name: "primary", engineer: { name: "Mary", number: "+15550001004" }, since: "2026-11-04T14:00:00.000Z", until: "2026-11-04T16:00:00.000Z", override: created.json.id });
    expect((await api(t, "GET", "/api/oncall?at=2026-11-04T16:00:00Z")).json.levels[0].engineer.name).toBe("Ada");

    const deleted = await api(t, "DELETE", `/api/oncall/overrides/${created.json.id}`);
    expect(deleted.status).toBe(200);
    expect((await api(t, "GET", "/api/oncall?at=2026-11-04T15:00:00Z")).json.levels[0].engineer.name).toBe("Ada");
    expect((await api(t, "DELETE", `/api/oncall/overrides/${created.json.id}`)).status).toBe(404);
    const trail = (await api(t, "GET", "/api/oncall/overrides")).json.changes;
    expect(trail.map((c: { action: string; by: string; at: string }) => [c.action, c.by, c.at])).toEqual([
      ["deleted", "api", clock.toISOString()],
      ["created", "api", clock.toISOString()],
    ]);
  });

  it.each([
    [{ level: 1, engineer: "Mary", from: "2026-11-04T14:00:00", to: "2026-11-04T16:00:00Z" }, "from", /with an offset/],
    [{ level: 1, engineer: "Mary", from: "2026-11-04T14:00:00Z", to: "2026-11-04T13:00:00Z" }, "to", /after from/],
    [{ level: 1, engineer: "Bob", from: "2026-11-04T14:00:00Z", to: "2026-11-04T16:00:00Z" }, "", /engineer: no engineer named Bob/],
    [{ level: 3, engineer: "Mary", from: "2026-11-04T14:00:00Z", to: "2026-11-04T16:00:00Z" }, "", /level: the schedule has 2 level/],
    [{ engineer: "Mary", from: "2026-11-04T14:00:00Z", to: "2026-11-04T16:00:00Z" }, "level", /./],
  ])("refuses a bad override with 400 naming the problem: %j", async (body, field, message) => {
    const answer = await api(t, "POST", "/api/oncall/overrides", body);
    expect(answer.status).toBe(400);
    if (field) expect(answer.json.field).toBe(field);
    expect(answer.json.error).toMatch(message);
  });

  it("GET /api/oncall.ics?engineer= is the engineer's shifts as iCalendar", async () => {
    const ics = await api(t, "GET", "/api/oncall.ics?engineer=Linus");
    expect(ics.status).toBe(200);
    expect(ics.type).toMatch(/^text\/calendar/);
    // Wednesday night in New York: 20:00 EST to 08:00 EST.
    expect(ics.text).toMatch(/BEGIN:VEVENT[\s\S]*DTSTART:20261105T010000Z\r?\nDTEND:20261105T130000Z[\s\S]*SUMMARY:On call: primary \(level 1\)/);
    expect((await api(t, "GET", "/api/oncall.ics?engineer=Nobody")).status).toBe(404);
    expect((await api(t, "GET", "/api/oncall.ics")).status).toBe(400);
  });

  it("a call rings the engineers on call when it comes in, and keeps them when the schedule changes mid-call", async () => {
    clock = new Date("2026-11-04T15:00:00Z");
    const call = new TestCall(t.twilio, "+15557770123");
    expect(numbersDialled((await call.incoming()).body)).toEqual(["+15550001001"]);
    // Mid-call, staff put Mary on level 2: this call keeps the levels it started with.
    await api(t, "POST", "/api/oncall/overrides", { level: 2, engineer: "Mary", from: "2026-11-04T14:00:00Z", to: "2026-11-04T18:00:00Z" });
    expect(numbersDialled((await call.dialEnded(1, "no-answer")).body)).toEqual(["+15550001002"]);
    expect((await call.dialEnded(2, "busy")).body).toContain("<Record");
    const record = await t.twilio.api(`/api/calls/${call.callSid}`);
    expect(record.json.attempts.map((a: { engineer: { name: string } }) => a.engineer.name)).toEqual(["Ada", "Grace"]);
    // The next call sees the override.
    const next = new TestCall(t.twilio, "+15557770124");
    expect(numbersDialled((await next.incoming()).body)).toEqual(["+15550001001"]);
    expect(numbersDialled((await next.dialEnded(1, "no-answer")).body)).toEqual(["+15550001004"]);
  });

  it("with nobody on call at all, the greeting leads straight to the voicemail (no Dial)", async () => {
    clock = new Date("2026-10-01T12:00:00Z");
    const call = new TestCall(t.twilio, "+15557770125");
    const greeting = (await call.incoming()).body;
    expect(greeting).not.toContain("<Dial");
    expect(greeting).toContain("<Record");
    expect((await call.recorded(30)).body).toContain("Thank you");
    const record = await t.twilio.api(`/api/calls/${call.callSid}`);
    expect(record.json).toMatchObject({ outcome: "voicemail", attempts: [] });
  });
});

describe("ENGINEERS mode: the roster as three fixed levels, overrides on top", () => {
  let t: TestLine;
  beforeAll(async () => {
    t = await startTestLine("oncall-roster", { now: () => new Date("2026-11-04T15:00:00Z") });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("answers the roster with no since/until, and an override changes whom a call rings", async () => {
    const now = await api(t, "GET", "/api/oncall");
    expect(now.json.levels.map((l: { engineer: { name: string }; since: null; until: null }) => [l.engineer.name, l.since, l.until])).toEqual([
      ["Ada", null, null],
      ["Grace", null, null],
      ["Linus", null, null],
    ]);
    await api(t, "POST", "/api/oncall/overrides", { level: 1, engineer: "Linus", from: "2026-11-04T00:00:00Z", to: "2026-11-05T00:00:00Z" });
    const call = new TestCall(t.twilio, "+15557770126");
    expect(numbersDialled((await call.incoming()).body)).toEqual(["+15550001003"]);
    // Linus is not rung twice: level 3 (Linus) has nobody else, so the call has two levels.
    expect(numbersDialled((await call.dialEnded(1, "no-answer")).body)).toEqual(["+15550001002"]);
    expect((await call.dialEnded(2, "no-answer")).body).toContain("<Record");
  });
});
