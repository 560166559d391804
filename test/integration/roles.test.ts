import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONSOLE_TOKEN, startTestLine, type TestLine } from "../helpers/line.ts";
import { form, PEOPLE, signIn, writeStaffFile } from "../helpers/staff.ts";

type Role = "viewer" | "engineer" | "admin";
const RANK: Record<Role, number> = { viewer: 0, engineer: 1, admin: 2 };

let t: TestLine;
const as: Record<Role, { cookie: string; csrf: string; token: string }> = {} as never;

beforeAll(async () => {
  t = await startTestLine("roles", { env: { STAFF_FILE: await writeStaffFile() } });
  for (const role of ["viewer", "engineer", "admin"] as const) {
    const { cookie, csrf } = await signIn(t.line.url, PEOPLE[role].email);
    const issued = await form(t.line.url, "/console/account/tokens", { _csrf: csrf, label: "roles test" }, { cookie });
    as[role] = { cookie, csrf, token: /<code class="token">([^<]+)<\/code>/.exec(await issued.text())![1]! };
  }
});
afterAll(async () => {
  await t.stop();
});

/** Every console route, with the least role it needs. Statuses other than 401/403 (404, 400, 303) mean "let through". */
const CONSOLE: [method: string, path: string, needs: Role][] = [
  ["GET", "/console", "viewer"],
  ["GET", "/console/calls/CA0", "viewer"],
  ["GET", "/console/incidents/INC-0", "viewer"],
  ["GET", "/console/roster", "viewer"],
  ["GET", "/console/drills", "viewer"],
  ["GET", "/console/account", "viewer"],
  ["POST", "/console/account/tokens", "viewer"],
  ["POST", "/console/incidents/INC-0/reply", "engineer"],
  ["POST", "/console/incidents/INC-0/reopen", "engineer"],
  ["POST", "/console/incidents/INC-0/close", "engineer"],
  ["POST", "/console/incidents/INC-0/assign", "engineer"],
  ["POST", "/console/incidents/INC-0/notes", "engineer"],
  ["POST", "/console/incidents/INC-0/messages", "engineer"],
  ["GET", "/console/incidents.csv", "viewer"],
  ["GET", "/console/partners", "viewer"],
  ["GET", "/console/partners/Acme", "viewer"],
  ["GET", "/console/drills/0000000000000000/report", "viewer"],
  ["POST", "/console/drills", "engineer"],
  ["GET", "/console/oncall", "viewer"],
  ["POST", "/console/oncall/overrides", "engineer"],
  ["POST", "/console/oncall/overrides/ovr-0/delete", "engineer"],
  ["POST", "/console/roster", "admin"],
  ["POST", "/console/roster/move-up/9", "admin"],
  ["GET", "/console/queues", "admin"],
  ["GET", "/console/queues/api/queues", "admin"],
  ["PUT", "/console/queues/api/queues/nonexistent/pause", "admin"],
  ["GET", "/console/QUEUES", "admin"],
  ["GET", "/console/%71ueues", "admin"],
  ["GET", "/console/staff", "admin"],
  ["POST", "/console/staff/sign-out-everywhere", "admin"],
  ["POST", "/console/staff/tokens/0000000000000000/revoke", "admin"],
  ["GET", "/console/audit", "admin"],
  ["GET", "/console/Audit?person=ada", "admin"],
];

const API: [method: string, path: string, needs: Role][] = [
  ["GET", "/api/incidents", "viewer"],
  ["GET", "/api/incidents/INC-0", "viewer"],
  ["GET", "/api/calls/CA0", "viewer"],
  ["GET", "/api/drill/preflight", "viewer"],
  ["POST", "/api/incidents/INC-0/reply", "engineer"],
  ["POST", "/api/incidents/INC-0/reopen", "engineer"],
  ["POST", "/api/incidents/INC-0/close", "engineer"],
  ["POST", "/api/incidents/INC-0/assign", "engineer"],
  ["POST", "/api/incidents/INC-0/notes", "engineer"],
  ["POST", "/api/drill-reports", "engineer"],
  ["GET", "/api/oncall", "viewer"],
  ["GET", "/api/oncall/overrides", "viewer"],
  ["GET", "/api/oncall.ics?engineer=Ada", "viewer"],
  ["POST", "/api/oncall/overrides", "engineer"],
  ["DELETE", "/api/oncall/overrides/ovr-0", "engineer"],
];

describe("every console route, for each role (session cookie)", () => {
  for (const [method, path, needs] of CONSOLE) {
    it(`${method} ${path} needs ${needs}`, async () => {
      for (const role of ["viewer", "engineer", "admin"] as const) {
        const { cookie, csrf } = as[role];
        const response = await fetch(`${t.line.url}${path}`, {
          method,
          headers: { cookie, "content-type": "application/x-www-form-urlencoded", "x-xsrf-token": csrf },
          body: method === "GET" ? undefined : new URLSearchParams({ _csrf: csrf }),
          redirect: "manual",
        });
        const allowed = RANK[role] >= RANK[needs];
        if (allowed) expect([401, 403], `${role}: ${method} ${path} → ${response.status}`).not.toContain(response.status);
        else {
          expect(response.status, `${role}: ${method} ${path}`).toBe(403);
          const text = await response.text();
          expect(text).toContain(`needs the ${needs} role`);
          expect(text).toContain(`(${role})`);
        }
      }
    });
  }
});

describe("every API route, for each role's API token, and CONSOLE_TOKEN as admin", () => {
  for (const [method, path, needs] of API) {
    it(`${method} ${path} needs ${needs}`, async () => {
      for (const role of ["viewer", "engineer", "admin"] as const) {
        const response = await fetch(`${t.line.url}${path}`, { method, headers: { authorization: `Bearer ${as[role].token}`, "content-type": "application/json" }, body: method === "GET" ? undefined : "{}" });
        if (RANK[role] >= RANK[needs]) expect([401, 403], `${role}: ${method} ${path}`).not.toContain(response.status);
        else {
          expect(response.status, `${role}: ${method} ${path}`).toBe(403);
          expect(await response.json()).toMatchObject({ needed: needs, role });
        }
      }
      const automation = await fetch(`${t.line.url}${path}`, { method, headers: { authorization: `Bearer ${CONSOLE_TOKEN}`, "content-type": "application/json" }, body: method === "GET" ? undefined : "{}" });
      expect([401, 403]).not.toContain(automation.status);
    });
  }

  it("does not take a session cookie for the API (no ambient credential there)", async () => {
    expect((await fetch(`${t.line.url}/api/incidents`, { headers: { cookie: as.admin.cookie } })).status).toBe(401);
  });
});

describe("what each role's pages offer", () => {
  const text = async (role: Role, path: string) => (await fetch(`${t.line.url}${path}`, { headers: { cookie: as[role].cookie } })).text();

  it("shows admins the admin links and the roster's buttons, and nobody else", async () => {
    for (const role of ["viewer", "engineer"] as const) {
      const roster = await text(role, "/console/roster");
      expect(roster).not.toContain('href="/console/audit"');
      expect(roster).not.toContain('href="/console/queues"');
      expect(roster).not.toContain("Save roster");
      expect(roster).toContain("Only an admin changes the roster.");
    }
    const roster = await text("admin", "/console/roster");
    for (const link of ["/console/audit", "/console/staff", "/console/queues"]) expect(roster).toContain(`href="${link}"`);
    expect(roster).toContain("Save roster");
  });

  it("shows the override form to engineers and admins only", async () => {
    expect(await text("viewer", "/console/oncall")).not.toContain("Add override");
    expect(await text("engineer", "/console/oncall")).toContain("Add override");
  });

  it("shows the drill report form to engineers and admins only", async () => {
    expect(await text("viewer", "/console/drills")).not.toContain("Add a drill report");
    expect(await text("engineer", "/console/drills")).toContain("Add a drill report");
  });
});
