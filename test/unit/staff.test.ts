import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Request } from "express";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { describeChange } from "../../src/console/staff/changes.ts";
import { requiredRole } from "../../src/console/staff/policy.ts";

const valid = {
  TWILIO_ACCOUNT_SID: `AC${"0".repeat(32)}`,
  TWILIO_AUTH_TOKEN: "secret-token-123",
  ENGINEERS: "Ada=+15550001001",
  CONSOLE_TOKEN: "console-token-0123456789",
};
const HASH = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Zm9vYmFyYmF6cXV1eGZvb2JhcmJhenF1dXhmb28";

function staffFile(text: string): string {
  const file = join(mkdtempSync(join(tmpdir(), "el-staff-unit-")), "staff.yaml");
  writeFileSync(file, text);
  return file;
}
function refusal(env: Record<string, string>): string {
  try {
    loadConfig({ ...valid, ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected the configuration to be refused");
}

describe("STAFF_FILE", () => {
  it("reads people in the documented format, emails in lower case", () => {
    const file = staffFile(`staff:\n  - { name: Ada Lovelace, email: Ada@Platform.example, role: admin, password: "${HASH}" }\n  - { name: Grace Hopper, email: grace@platform.example, role: engineer, password: "${HASH}" }\n`);
    expect(loadConfig({ ...valid, STAFF_FILE: file }).staff).toEqual([
      { name: "Ada Lovelace", email: "ada@platform.example", role: "admin", password: HASH },
      { name: "Grace Hopper", email: "grace@platform.example", role: "engineer", password: HASH },
    ]);
  });

  it.each([
    [`  - { name: Ada, email: ada@platform.example, role: admin, password: "hunter2hunter2" }`, "at staff.0.password (ada@platform.example): an argon2 hash from `emergency-line staff hash`, never the password itself"],
    [`  - { name: Ada, email: ada@platform.example, role: root, password: "${HASH}" }`, "at staff.0.role (ada@platform.example): one of viewer, engineer, admin"],
    [`  - { name: Ada, email: not-an-email, role: admin, password: "${HASH}" }`, "at staff.0.email (not-an-email): an email address"],
    [`  - { name: Ada, email: ada@platform.example, role: admin, password: "${HASH}" }\n  - { name: Ada 2, email: ADA@platform.example, role: viewer, password: "${HASH}" }`, "at staff.1.email (ADA@platform.example): ada@platform.example is listed twice"],
    [`  - { name: Ada, email: ada@platform.example, role: admin, password: "${HASH}", shell: true }`, "at staff.0 (ada@platform.example): Unrecognized key"],
  ])("stops start-up naming the bad entry: %s", (entry, message) => {
    const file = staffFile(`staff:\n${entry}\n`);
    expect(refusal({ STAFF_FILE: file })).toContain(`STAFF_FILE (${file}) ${message}`);
  });

  it("names a file that cannot be read or parsed", () => {
    expect(refusal({ STAFF_FILE: "/nonexistent/staff.yaml" })).toContain("STAFF_FILE: cannot read /nonexistent/staff.yaml");
    expect(refusal({ STAFF_FILE: staffFile("staff: [ {") })).toContain("STAFF_FILE: cannot read");
  });
});

describe("single sign-on settings", () => {
  it("need the client id and secret with OIDC_ISSUER, and a mapping of claim values to roles", () => {
    expect(refusal({ OIDC_ISSUER: "https://id.example.com" })).toContain("OIDC_CLIENT_ID: required when OIDC_ISSUER is set");
    expect(refusal({ OIDC_ISSUER: "https://id.example.com", OIDC_CLIENT_ID: "line" })).toContain("OIDC_CLIENT_SECRET: required when OIDC_ISSUER is set");
    expect(refusal({ OIDC_ROLE_MAP: "oncall=superuser" })).toContain("OIDC_ROLE_MAP.0");
    const config = loadConfig({ ...valid, OIDC_ROLE_MAP: "oncall-admins=admin, oncall=engineer" });
    expect([...config.OIDC_ROLE_MAP]).toEqual([["oncall-admins", "admin"], ["oncall", "engineer"]]);
    expect(config.OIDC_ROLE_CLAIM).toBe("groups");
  });
});

describe("the role each route needs", () => {
  it.each([
    ["console", "GET", "/", "viewer"],
    ["console", "GET", "/roster", "viewer"],
    ["console", "POST", "/roster", "admin"],
    ["console", "POST", "/roster/move-up/2", "admin"],
    ["console", "POST", "/incidents/INC-1/reply", "engineer"],
    ["console", "POST", "/some/page/added/later", "engineer"],
    ["console", "GET", "/queues/api/queues", "admin"],
    ["console", "GET", "/QUEUES", "admin"],
    ["console", "GET", "/%41udit", "admin"],
    ["console", "GET", "//staff", "admin"],
    ["console", "POST", "/logout", "viewer"],
    ["console", "POST", "/account/tokens", "viewer"],
    ["api", "GET", "/incidents", "viewer"],
    ["api", "POST", "/oncall/overrides", "engineer"],
    ["api", "DELETE", "/oncall/overrides/1", "engineer"],
    ["api", "PUT", "/schedule", "admin"],
    ["api", "GET", "/schedule", "viewer"],
  ] as const)("%s %s %s needs %s", (area, method, path, role) => {
    expect(requiredRole(area, method, path)).toBe(role);
  });
});

describe("a change on a route without a description of its own", () => {
  it("is still recorded: the request and its body, without CSRF tokens or secrets", () => {
    const sources = { roster: { current: async () => [] }, followup: { read: async () => ({ case: null }) }, queues: { all: () => [] }, oncall: { overrides: { list: async () => [] } } };
    const req = { method: "POST", path: "/partners/acme", baseUrl: "/api", body: { level: 1, engineer: "Ada", _csrf: "x", password: "p", apiToken: "t" } } as unknown as Request;
    const change = describeChange("api", req, sources)!;
    expect(change.action).toBe("POST /api/partners/acme");
    expect(change.added?.()).toEqual({ level: 1, engineer: "Ada" });
    expect(describeChange("api", { ...req, method: "GET" } as Request, sources)).toBeNull();
  });
});
