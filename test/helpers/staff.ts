import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import argon2 from "argon2";
import { expect } from "vitest";

/** Everyone's password in tests; hashed cheaply (argon2id all the same), so signing in stays fast. */
export const PASSWORD = "correct horse battery staple";

export const PEOPLE = {
  viewer: { name: "Vera Viewer", email: "vera@platform.test", role: "viewer" },
  engineer: { name: "Ed Engineer", email: "ed@platform.test", role: "engineer" },
  admin: { name: "Ada Admin", email: "ada@platform.test", role: "admin" },
} as const;
export type Person = { name: string; email: string; role: string };

/** A STAFF_FILE in a temporary folder, in the documented format. */
export async function writeStaffFile(people: Person[] = Object.values(PEOPLE), file = join(mkdtempSync(join(tmpdir(), "el-staff-")), "staff.yaml")): Promise<string> {
  const entries = await Promise.all(
    people.map(async (p) => `  - { name: ${p.name}, email: ${p.email}, role: ${p.role}, password: "${await argon2.hash(PASSWORD, { memoryCost: 4096, timeCost: 2 })}" }`),
  );
  writeFileSync(file, `staff:\n${entries.join("\n")}\n`);
  return file;
}

export const form = (base: string, path: string, body: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: new URLSearchParams(body), redirect: "manual" });

/** Signs in with the login form: the session cookie, and the CSRF token the account page's forms carry. */
export async function signIn(base: string, email: string, password = PASSWORD): Promise<{ cookie: string; csrf: string }> {
  const response = await form(base, "/console/login", { email, password });
  expect(response.status, `sign-in of ${email}`).toBe(303);
  const cookie = response.headers.getSetCookie().find((c) => c.startsWith("el_session="))!.split(";")[0]!;
  const page = await (await fetch(`${base}/console/account`, { headers: { cookie } })).text();
  return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(page)![1]! };
}
