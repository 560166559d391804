import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/log.ts";
import { CONSOLE_TOKEN, ENGINEERS, startTestLine, TestCall, type TestLine } from "../helpers/line.ts";
import { PASSWORD, PEOPLE, writeStaffFile } from "../helpers/staff.ts";

const PARTNER = "+15557770001";
const logLines: string[] = [];
let t: TestLine;
let partnersFile: string;

beforeAll(async () => {
  const fs = await import("node:fs");
  const dir = fs.mkdtempSync("/tmp/el-console-");
  partnersFile = `${dir}/partners.json`;
  fs.writeFileSync(partnersFile, JSON.stringify({ [PARTNER]: { name: "Acme Payments", email: "oncall@acme.test" } }));
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  t = await startTestLine("console", { env: { PARTNERS_FILE: partnersFile, STAFF_FILE: await writeStaffFile() }, log: createLogger("info", sink) });
});
afterAll(async () => {
  await t.stop();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${t.line.url}${path}`, { headers, redirect: "manual" });
const post = (path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${t.line.url}${path}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams(body), redirect: "manual" });

async function login(): Promise<{ cookie: string; csrf: string }> {
  const response = await post("/console/login", { email: PEOPLE.admin.email, password: PASSWORD });
  expect(response.status).toBe(303);
  const setCookie = response.headers.get("set-cookie")!;
  expect(setCookie).toMatch(/HttpOnly/i);
  expect(setCookie).toMatch(/SameSite=Strict/i);
  expect(setCookie).toMatch(/; Secure/i); // PUBLIC_BASE_URL is https here
  const cookie = setCookie.split(";")[0]!;
  const page = await (await get("/console/roster", { cookie })).text();
  return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(page)![1]! };
}

describe("every console and API route", () => {
  it("refuses without the token", async () => {
    const gets = ["/console", "/console/roster", "/console/drills", "/console/queues", "/console/queues/api/queues", "/console/calls/CA1", "/api/incidents", "/api/incidents/INC-1", "/api/calls/CA1", "/api/drill/preflight"];
    for (const path of gets) {
      expect((await get(path)).status, path).toBe(401);
      expect((await get(path, { authorization: "Bearer wrong-token-wrong-token" })).status, path).toBe(401);
      expect((await get(path, { cookie: "el_session=9999999999999.forged" })).status, path).toBe(401);
    }
    const posts = ["/console/roster", "/console/roster/move-up/2", "/console/drills", "/console/incidents/INC-1/reply", "/console/incidents/INC-1/reopen", "/console/logout", "/api/incidents/INC-1/reply", "/api/incidents/INC-1/reopen", "/api/drill-reports"];
    for (const path of posts) expect((await post(path, {})).status, path).toBe(401);
    expect((await post("/console/login", { email: PEOPLE.admin.email, password: CONSOLE_TOKEN })).status).toBe(401);
  });

  it("lets staff in with the bearer token or the login cookie, and refuses a cookie form post without its CSRF token", async () => {
    expect((await get("/console", { authorization: `Bearer ${CONSOLE_TOKEN}` })).status).toBe(200);
    const { cookie, csrf } = await login();
    expect((await get("/console", { cookie })).status).toBe(200);
    expect((await post("/console/roster/move-up/2", {}, { cookie })).status).toBe(403);
    expect((await post("/console/roster/move-up/2", { _csrf: "stale" }, { cookie })).status).toBe(403);
    expect((await post("/console/roster/move-up/2", { _csrf: csrf }, { cookie })).status).toBe(303);
    expect((await post("/console/roster/move-up/2", { _csrf: csrf }, { cookie })).status).toBe(303); // and back
  });

  it("serves pages with helmet's headers and a CSP that allows no inline script", async () => {
    const response = await get("/console/login");
    const csp = response.headers.get("content-security-policy")!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline'; script");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    // The one script is our own file (refresh.js), never inline code.
    const page = await response.text();
    expect(page.match(/<script[^>]*>/gi)).toEqual(['<script src="/console/static/refresh.js" defer>']);
    expect(page).not.toMatch(/<script[^>]*>[^<]/i);
    const script = await get("/console/static/refresh.js");
    expect(script.headers.get("content-type")).toContain("javascript");
  });
});

describe("the queues board (bull-board)", () => {
  const queueAction = (action: string, headers: Record<string, string>) => fetch(`${t.line.url}/console/queues/api/queues/followup-email/${action}`, { method: "PUT", headers });

  it("holds its changes to the session's CSRF token, which its UI sends back from a cookie as axios does", async () => {
    const { cookie } = await login();
    const board = await get("/console/queues", { cookie });
    expect(board.status).toBe(200);
    const xsrf = board.headers.getSetCookie().find((c) => c.startsWith("XSRF-TOKEN="))!;
    expect(xsrf).toMatch(/Path=\/console\/queues/);
    expect(xsrf).toMatch(/SameSite=Strict/i);
    const token = decodeURIComponent(/^XSRF-TOKEN=([^;]*)/.exec(xsrf)![1]!);
    expect((await queueAction("pause", { cookie })).status).toBe(403);
    expect((await queueAction("pause", { cookie, "x-xsrf-token": "stale" })).status).toBe(403);
    expect(await t.line.queues.email.isPaused()).toBe(false);
    expect((await queueAction("pause", { cookie, "x-xsrf-token": token })).status).toBe(200);
    expect(await t.line.queues.email.isPaused()).toBe(true);
    // A bearer request carries no ambient credential and needs no token.
    expect((await queueAction("resume", { authorization: `Bearer ${CONSOLE_TOKEN}` })).status).toBe(200);
    expect(await t.line.queues.email.isPaused()).toBe(false);
  });

  it("makes the browser fetch nothing from the internet, and links back to the console", async () => {
    const board = await get("/console/queues", { authorization: `Bearer ${CONSOLE_TOKEN}` });
    const page = await board.text();
    expect(page).not.toContain("fonts.googleapis.com");
    expect(page.match(/(?:href|src)="https?:\/\/[^"]*"/g)).toBeNull();
    const csp = board.headers.get("content-security-policy")!;
    for (const directive of ["default-src 'self'", "script-src 'self'", "font-src 'self' data:", "connect-src 'self'"]) expect(csp).toContain(directive);
    expect(csp).not.toMatch(/https:/);
    const config = JSON.parse(/<script id="__UI_CONFIG__" type="application\/json">(.*?)<\/script>/s.exec(page)![1]!);
    expect(config.miscLinks).toEqual([{ text: "Back to the console", url: "/console" }]);
  });
});

describe("the incidents page", () => {
  it("shows calls still in progress, with where they are", async () => {
    const c = new TestCall(t.twilio, "+15557770055");
    await c.incoming();
    await c.dialEnded(1, "no-answer");
    const page = await (await get("/console", { authorization: `Bearer ${CONSOLE_TOKEN}` })).text();
    expect(page).toContain("Calls in progress");
    expect(page).toMatch(/\+15557770055<\/a>\s*— on the line for .*stage hunting: <strong class="now-ringing">ringing Grace<\/strong> \(engineer 2\)/);
    await c.hungUp(30);
    const after = await (await get("/console", { authorization: `Bearer ${CONSOLE_TOKEN}` })).text();
    expect(after).not.toContain("ringing Grace");
    expect(after).toMatch(/<td class="outcome">abandoned<\/td>\s*<td>\+15557770055<\/td>/);
  });
});

describe("the roster", () => {
  it("refuses a number that is not E.164, naming the engineer, and keeps the roster", async () => {
    const { cookie, csrf } = await login();
    const response = await post("/console/roster", { _csrf: csrf, name1: "Ada", number1: "555-1234", name2: "Grace", number2: ENGINEERS[1]!.number }, { cookie });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("Not saved: engineer 1 number: an E.164 phone number");
    expect(await t.line.roster.current()).toEqual(ENGINEERS);
  });

  it("refuses moving up a level the roster does not have with a 400 naming it, and changes and audits nothing", async () => {
    const { cookie, csrf } = await login();
    const before = await t.line.roster.current();
    const moves = (await t.line.staff.audit.list({ action: "roster.move-up" })).length;
    for (const [level, message] of [
      ["99", "Not moved: there is no engineer at level 99: the roster has 3 (levels 1 to 3)"],
      ["4", "Not moved: there is no engineer at level 4: the roster has 3 (levels 1 to 3)"],
      ["0", "Not moved: there is no engineer at level 0"],
      ["1", "Not moved: engineer 1 is first already"],
      ["-2", "is not an engineer&#39;s level"],
      ["2.5", "is not an engineer&#39;s level"],
    ]) {
      const response = await post(`/console/roster/move-up/${level}`, { _csrf: csrf }, { cookie });
      expect(response.status, level).toBe(400);
      expect(await response.text(), level).toContain(message);
    }
    expect(await t.line.roster.current()).toEqual(before);
    expect(await t.line.staff.audit.list({ action: "roster.move-up" })).toHaveLength(moves);
  });
});

describe("drill results", () => {
  it("are accepted from the drill runner's JSON and shown on the drills page", async () => {
    const report = {
      startedAt: "2026-11-24T10:00:00.000Z",
      target: "https://oncall.example.test",
      realMs: 900,
      passed: false,
      scenarios: [{ name: "engineer 1 accepts", file: "drills/01.yaml", passed: false, calls: [{ caller: PARTNER, incidentId: null, passed: false, timings: { firstRingAt: 10, humanAt: null, beepAt: null, endedAt: 40 }, checks: [{ name: "outcome", ok: false, expected: "connected", actual: "abandoned" }] }] }],
    };
    const bad = await fetch(`${t.line.url}/api/drill-reports`, { method: "POST", headers: { authorization: `Bearer ${CONSOLE_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify({ passed: true }) });
    expect(bad.status).toBe(400);
    const stored = await fetch(`${t.line.url}/api/drill-reports`, { method: "POST", headers: { authorization: `Bearer ${CONSOLE_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(report) });
    expect(stored.status).toBe(201);
    const page = await (await get("/console/drills", { authorization: `Bearer ${CONSOLE_TOKEN}` })).text();
    expect(page).toContain("engineer 1 accepts");
    expect(page).toContain("outcome: expected connected, saw abandoned");
  });
});

describe("metrics and logs of a whole call", () => {
  it("count the call, its legs and the time to a human, and log no full phone number or email address", async () => {
    const c = new TestCall(t.twilio, PARTNER);
    await c.incoming();
    await c.dialEnded(1, "no-answer");
    await c.whisper(2);
    await c.pressOnWhisper(2, "1");
    await c.dialEnded(2, "completed", 60);
    await c.hungUp(90);
    const voicemail = new TestCall(t.twilio, "+447700900123");
    await voicemail.incoming();
    for (const level of [1, 2, 3]) await voicemail.dialEnded(level, "busy");
    await voicemail.recorded(20);
    await voicemail.transcribed("email me at jane dot doe at partner dot com or call plus four four seven seven zero zero nine zero zero one two three");
    await voicemail.hungUp(60);

    const metrics = await (await get("/metrics")).text();
    expect(metrics).toMatch(/emergency_line_calls_total\{outcome="connected",drill="false"\} [1-9]/);
    expect(metrics).toMatch(/emergency_line_calls_total\{outcome="voicemail",drill="false"\} [1-9]/);
    expect(metrics).toMatch(/emergency_line_engineer_legs_total\{result="busy",drill="false"\} 3/);
    expect(metrics).toMatch(/emergency_line_time_to_human_seconds_count\{drill="false"\} [1-9]/);
    expect(metrics).toMatch(/emergency_line_webhook_duration_seconds_count\{route="\/dial",status="200"\} [1-9]/);
    expect(metrics).toMatch(/emergency_line_queue_jobs\{queue="followup-email",state="(waiting|delayed)"\} [1-9]/);
    expect(metrics).toContain("emergency_line_spooled_writes 0");

    const logs = logLines.join("");
    expect(logs).toContain(c.callSid);
    for (const secret of [PARTNER, "+447700900123", "447700900123", "oncall@acme.test", "jane.doe@partner.com", CONSOLE_TOKEN, "test-auth-token", PASSWORD]) expect(logs).not.toContain(secret);
    const lines = logLines.map((line) => JSON.parse(line));
    const received = lines.find((l) => l.msg === "call received" && l.callSid === c.callSid);
    expect(received.from).toBe("+1********01");
    expect(typeof received.reqId).toBe("string");
    expect(lines.filter((l) => l.req).every((l) => typeof l.req.id === "string" && l.req.id.length > 0)).toBe(true);
  });
});

describe("a transcript naming several addresses without saying which", () => {
  it("shows staff what was heard, and the follow-up did not use any of them", async () => {
    const c = new TestCall(t.twilio, "+447700900124");
    await c.incoming();
    for (const level of [1, 2, 3]) await c.dialEnded(level, "busy");
    await c.recorded(20);
    await c.transcribed("It broke for jane at acme dot com and for bob at globex dot com, both down since noon.");
    await c.hungUp(60);
    const page = await (await get(`/console/calls/${c.callSid}`, { authorization: `Bearer ${CONSOLE_TOKEN}` })).text();
    expect(page).toContain("Not sure which contact the caller meant; heard: jane@acme.com, bob@globex.com");
    expect(page).toContain("no email");
  });
});

describe("a paused follow-up queue", () => {
  it("shows on the dashboard, in /readyz and in /metrics until it is resumed", async () => {
    const auth = { authorization: `Bearer ${CONSOLE_TOKEN}` };
    await t.line.queues.mobilise.pause();
    try {
      expect(await (await get("/console", auth)).text()).toContain("Paused: mobilise.");
      expect((await (await get("/readyz")).json()).pausedQueues).toEqual(["mobilise"]);
      expect(await (await get("/metrics")).text()).toMatch(/emergency_line_queue_paused\{queue="mobilise"\} 1/);
    } finally {
      await t.line.queues.mobilise.resume();
    }
    expect(await (await get("/console", auth)).text()).not.toContain("Paused:");
    expect((await (await get("/readyz")).json()).pausedQueues).toEqual([]);
    expect(await (await get("/metrics")).text()).toMatch(/emergency_line_queue_paused\{queue="mobilise"\} 0/);
  });
});
