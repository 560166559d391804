import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StaffSessions, staffKeys } from "../../src/console/staff/sessions.ts";
import { ApiTokens } from "../../src/console/staff/tokens.ts";
import { CONSOLE_TOKEN, startTestLine, type TestLine } from "../helpers/line.ts";
import { countKeys } from "../helpers/redis.ts";
import { form, PASSWORD, PEOPLE, signIn, writeStaffFile } from "../helpers/staff.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let t: TestLine;
let staffFile: string;

beforeAll(async () => {
  staffFile = await writeStaffFile();
  t = await startTestLine("staff", { env: { STAFF_FILE: staffFile } });
});
afterAll(async () => {
  await t.stop();
});

const page = (path: string, cookie: string) => fetch(`${t.line.url}${path}`, { headers: { cookie }, redirect: "manual" });
const api = (path: string, token: string, init: RequestInit = {}) =>
  fetch(`${t.line.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...(init.headers as Record<string, string>) } });

describe("signing in with STAFF_FILE", () => {
  it("starts a session in Redis on the right password: 303 to /console, and the cookie opens the console", async () => {
    const before = await countKeys(t.redis, `${t.prefix}staff:session:`);
    const { cookie } = await signIn(t.line.url, PEOPLE.engineer.email);
    expect(await countKeys(t.redis, `${t.prefix}staff:session:`)).toBe(before + 1);
    const dashboard = await page("/console", cookie);
    expect(dashboard.status).toBe(200);
    expect(await dashboard.text()).toContain("Ed Engineer (engineer)");
  });

  it("answers 401 and starts no session for a wrong password, an unknown email, or the console token; 400 naming a missing field", async () => {
    const before = await countKeys(t.redis, `${t.prefix}staff:session:`);
    for (const body of [
      { email: PEOPLE.admin.email, password: "not the password at all" },
      { email: "nobody@platform.test", password: PASSWORD },
      { email: PEOPLE.admin.email, password: CONSOLE_TOKEN },
    ]) {
      const response = await form(t.line.url, "/console/login", body);
      expect(response.status).toBe(401);
      expect(response.headers.getSetCookie().filter((c) => c.startsWith("el_session="))).toEqual([]);
      expect(await response.text()).toContain("Wrong email or password.");
    }
    const missing = await form(t.line.url, "/console/login", { email: PEOPLE.admin.email });
    expect(missing.status).toBe(400);
    expect(await missing.text()).toContain("password required");
    expect(await countKeys(t.redis, `${t.prefix}staff:session:`)).toBe(before);
  });

  it("gives each sign-in a new session id, ending the one the browser held before", async () => {
    const before = await signIn(t.line.url, PEOPLE.viewer.email);
    const response = await form(t.line.url, "/console/login", { email: PEOPLE.viewer.email, password: PASSWORD }, { cookie: before.cookie });
    expect(response.status).toBe(303);
    const after = response.headers.getSetCookie().find((c) => c.startsWith("el_session="))!.split(";")[0]!;
    expect(after).not.toBe(before.cookie);
    expect((await page("/console", before.cookie)).status).toBe(401);
    expect((await page("/console", after)).status).toBe(200);
  });

  it("takes the email in any case", async () => {
    const { cookie } = await signIn(t.line.url, PEOPLE.viewer.email.toUpperCase());
    expect(await (await page("/console", cookie)).text()).toContain("Vera Viewer (viewer)");
  });
});

describe("signing out", () => {
  it("ends the session server-side: the old cookie no longer opens anything", async () => {
    const { cookie, csrf } = await signIn(t.line.url, PEOPLE.admin.email);
    const out = await form(t.line.url, "/console/logout", { _csrf: csrf }, { cookie });
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/console/login");
    // A copy of the cookie kept elsewhere (not cleared by the browser) is as dead as the original.
    expect((await page("/console", cookie)).status).toBe(401);
    expect((await page("/console/account", cookie)).status).toBe(401);
  });

  it("an admin signs a person out everywhere: all their sessions end at once, other people's stay", async () => {
    const first = await signIn(t.line.url, PEOPLE.viewer.email);
    const second = await signIn(t.line.url, PEOPLE.viewer.email);
    const admin = await signIn(t.line.url, PEOPLE.admin.email);
    const staffPage = await (await page("/console/staff", admin.cookie)).text();
    expect(staffPage).toContain("sign out vera@platform.test everywhere");
    const response = await form(t.line.url, "/console/staff/sign-out-everywhere", { _csrf: admin.csrf, email: PEOPLE.viewer.email }, { cookie: admin.cookie });
    expect(response.status).toBe(303);
    expect(decodeURIComponent(response.headers.get("location")!)).toMatch(/vera@platform\.test: [2-9] session\(s\) ended/);
    expect((await page("/console", first.cookie)).status).toBe(401);
    expect((await page("/console", second.cookie)).status).toBe(401);
    expect((await page("/console", admin.cookie)).status).toBe(200);
  });
});

describe("personal API tokens", () => {
  it("are shown once, act as their person with their role, and stop working when revoked", async () => {
    const ed = await signIn(t.line.url, PEOPLE.engineer.email);
    const issued = await form(t.line.url, "/console/account/tokens", { _csrf: ed.csrf, label: "laptop scripts" }, { cookie: ed.cookie });
    expect(issued.status).toBe(200);
    expect(issued.headers.get("cache-control")).toBe("no-store");
    const token = /<code class="token">([^<]+)<\/code>/.exec(await issued.text())![1]!;
    expect(token).toMatch(/^elt_[0-9a-f]{16}_/);
    // Never shown again, and not kept in Redis as given.
    expect(await (await page("/console/account", ed.cookie)).text()).not.toContain(token);
    // The secret is everything after the id: base64url, so it may itself hold "_".
    const secret = /^elt_[0-9a-f]{16}_(.{32,})$/.exec(token)?.[1];
    expect(secret).toBeDefined();
    for await (const keys of (await import("../../src/store/redis.ts")).keysUnder(t.redis, `${t.prefix}staff:token:`)) {
      for (const key of keys) expect(JSON.stringify(await t.redis.hgetall(key))).not.toContain(secret!);
    }

    expect((await api("/api/incidents", token)).status).toBe(200);
    const report = { startedAt: "2026-11-24T10:00:00.000Z", target: "local", realMs: 1, passed: true, scenarios: [] };
    expect((await api("/api/drill-reports", token, { method: "POST", body: JSON.stringify(report) })).status).toBe(201);
    // A wrong secret with a real id is refused.
    expect((await api("/api/incidents", `${token.slice(0, -4)}AAAA`)).status).toBe(401);

    const id = token.split("_")[1]!;
    const revoked = await form(t.line.url, `/console/account/tokens/${id}/revoke`, { _csrf: ed.csrf }, { cookie: ed.cookie });
    expect(revoked.status).toBe(303);
    expect((await api("/api/incidents", token)).status).toBe(401);
  });

  it("carry a viewer's role: reads yes, changes 403 naming the role needed", async () => {
    const vera = await signIn(t.line.url, PEOPLE.viewer.email);
    const issued = await form(t.line.url, "/console/account/tokens", { _csrf: vera.csrf, label: "dashboards" }, { cookie: vera.cookie });
    const token = /<code class="token">([^<]+)<\/code>/.exec(await issued.text())![1]!;
    expect((await api("/api/incidents", token)).status).toBe(200);
    const refused = await api("/api/incidents/INC-1/reply", token, { method: "POST" });
    expect(refused.status).toBe(403);
    expect((await refused.json()).error).toBe("forbidden: POST /api/incidents/INC-1/reply needs the engineer role; this token acts as vera@platform.test (viewer)");
  });

  it("can be revoked by an admin from the staff page; nobody else can revoke another's token", async () => {
    const ed = await signIn(t.line.url, PEOPLE.engineer.email);
    const issued = await form(t.line.url, "/console/account/tokens", { _csrf: ed.csrf, label: "cron" }, { cookie: ed.cookie });
    const token = /<code class="token">([^<]+)<\/code>/.exec(await issued.text())![1]!;
    const id = token.split("_")[1]!;
    const vera = await signIn(t.line.url, PEOPLE.viewer.email);
    expect((await form(t.line.url, `/console/account/tokens/${id}/revoke`, { _csrf: vera.csrf }, { cookie: vera.cookie })).status).toBe(404);
    expect((await form(t.line.url, `/console/staff/tokens/${id}/revoke`, { _csrf: vera.csrf }, { cookie: vera.cookie })).status).toBe(403);
    expect((await api("/api/incidents", token)).status).toBe(200);
    const ada = await signIn(t.line.url, PEOPLE.admin.email);
    expect((await form(t.line.url, `/console/staff/tokens/${id}/revoke`, { _csrf: ada.csrf }, { cookie: ada.cookie })).status).toBe(303);
    expect((await api("/api/incidents", token)).status).toBe(401);
  });
});

describe("login rate limiting", () => {
  it("after 5 failures for one email answers 429 with Retry-After, even with the right password; other people still sign in", async () => {
    const line = await startTestLine("staff-limit", { env: { STAFF_FILE: staffFile } });
    try {
      for (let i = 0; i < 5; i++) expect((await form(line.line.url, "/console/login", { email: PEOPLE.engineer.email, password: `guess ${i}` })).status).toBe(401);
      const limited = await form(line.line.url, "/console/login", { email: PEOPLE.engineer.email, password: PASSWORD });
      expect(limited.status).toBe(429);
      const retryAfter = Number(limited.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThan(800);
      expect(retryAfter).toBeLessThanOrEqual(900);
      expect(limited.headers.getSetCookie().filter((c) => c.startsWith("el_session="))).toEqual([]);
      expect(await limited.text()).toContain("Too many failed sign-ins");
      await signIn(line.line.url, PEOPLE.viewer.email);
    } finally {
      await line.stop();
    }
  });

  it("after 20 failures from one address answers 429 for any email from it", async () => {
    const line = await startTestLine("staff-limit-ip", { env: { STAFF_FILE: staffFile } });
    try {
      for (let i = 0; i < 20; i++) expect((await form(line.line.url, "/console/login", { email: `stranger${i}@elsewhere.test`, password: "guess" })).status).toBe(401);
      const limited = await form(line.line.url, "/console/login", { email: PEOPLE.admin.email, password: PASSWORD });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    } finally {
      await line.stop();
    }
  });
});

describe("session timeouts", () => {
  it("ends a session idle longer than CONSOLE_IDLE_TIMEOUT_SECONDS, and any session CONSOLE_SESSION_MAX_SECONDS after sign-in however busy", async () => {
    const line = await startTestLine("staff-timeouts", { env: { STAFF_FILE: staffFile, CONSOLE_IDLE_TIMEOUT_SECONDS: "1", CONSOLE_SESSION_MAX_SECONDS: "2" } });
    const open = async (cookie: string) => (await fetch(`${line.line.url}/console`, { headers: { cookie }, redirect: "manual" })).status;
    try {
      const idle = await signIn(line.line.url, PEOPLE.viewer.email);
      expect(await open(idle.cookie)).toBe(200);
      await sleep(1200);
      expect(await open(idle.cookie)).toBe(401);

      const busy = await signIn(line.line.url, PEOPLE.viewer.email);
      const signedInAt = Date.now();
      // Used every half second, so never idle for a second: alive until two seconds after sign-in, then not.
      while (Date.now() - signedInAt < 1500) {
        expect(await open(busy.cookie)).toBe(200);
        await sleep(450);
      }
      await sleep(Math.max(0, 2100 - (Date.now() - signedInAt)));
      expect(await open(busy.cookie)).toBe(401);
    } finally {
      await line.stop();
    }
  });
});

describe("a person removed from STAFF_FILE", () => {
  it("is refused by an instance whose file no longer lists them, before any start-up clean-up", async () => {
    const keys = staffKeys(t.prefix);
    const limits = { idleMs: 60_000, maxMs: 60_000 };
    const vera = { email: PEOPLE.viewer.email, name: PEOPLE.viewer.name, role: "viewer", via: "password" } as const;
    const member = { ...vera, password: "unused" };
    const cookie = await new StaffSessions(t.redis, keys, limits, [member]).start(vera);
    const { token } = await new ApiTokens(t.redis, keys, [member]).issue(vera, "old");
    expect(await new StaffSessions(t.redis, keys, limits, [member]).resume(cookie)).not.toBeNull();
    expect(await new StaffSessions(t.redis, keys, limits, []).resume(cookie)).toBeNull();
    expect(await new ApiTokens(t.redis, keys, []).verify(token)).toBeNull();
    // Listed again with another role: the token acts with the role the file gives now.
    expect(await new ApiTokens(t.redis, keys, [{ ...member, role: "engineer" }]).verify(token)).toMatchObject({ email: vera.email, role: "engineer" });
  });


  it("loses their sessions and API tokens at the next start; a changed role signs the person in again", async () => {
    const own = await writeStaffFile();
    const first = await startTestLine("staff-restart", { env: { STAFF_FILE: own } });
    const vera = await signIn(first.line.url, PEOPLE.viewer.email);
    const issued = await form(first.line.url, "/console/account/tokens", { _csrf: vera.csrf, label: "dashboards" }, { cookie: vera.cookie });
    const token = /<code class="token">([^<]+)<\/code>/.exec(await issued.text())![1]!;
    const ed = await signIn(first.line.url, PEOPLE.engineer.email);
    const ada = await signIn(first.line.url, PEOPLE.admin.email);
    await first.line.stop();
    first.redis.disconnect();

    // Vera is gone from the file; Ed is now a viewer.
    await writeStaffFile([PEOPLE.admin, { ...PEOPLE.engineer, role: "viewer" }], own);
    const second = await startTestLine("staff-restart", { prefix: first.prefix, env: { STAFF_FILE: own } });
    try {
      const open = async (cookie: string) => (await fetch(`${second.line.url}/console`, { headers: { cookie }, redirect: "manual" })).status;
      expect(await open(vera.cookie)).toBe(401);
      expect((await fetch(`${second.line.url}/api/incidents`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
      expect(await open(ed.cookie)).toBe(401);
      expect(await open(ada.cookie)).toBe(200);
      expect((await form(second.line.url, "/console/login", { email: PEOPLE.viewer.email, password: PASSWORD })).status).toBe(401);
      const again = await signIn(second.line.url, PEOPLE.engineer.email);
      expect(await (await fetch(`${second.line.url}/console`, { headers: { cookie: again.cookie } })).text()).toContain("Ed Engineer (viewer)");
      const audit = await (await fetch(`${second.line.url}/console/audit?person=system`, { headers: { cookie: ada.cookie } })).text();
      expect(audit).toContain("auth.sessions-ended");
      expect(audit).toContain("token.revoked");
    } finally {
      await second.stop();
    }
  });
});
