import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchChromium, signInPage } from "../helpers/browser.ts";
import { ENGINEERS, startTestLine, TestCall, type TestLine } from "../helpers/line.ts";
import { PEOPLE, writeStaffFile } from "../helpers/staff.ts";

// Debian's chromium, as in console.browser.test.ts.
const ARTIFACTS = "test-artifacts";

let t: TestLine;
let browser: Browser;
let incidentId: string;
let callSid: string;
/** Ed's session cookie, left signed in by the engineer's test for the admin's "sign out everywhere". */
let edCookie: { name: string; value: string };

beforeAll(async () => {
  t = await startTestLine("roles-browser", { publicIsLocal: true, env: { STAFF_FILE: await writeStaffFile() } });
  browser = await launchChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
  // A call that ended in a voicemail: an incident whose case is open.
  const c = new TestCall(t.twilio, "+15557770077");
  await c.incoming();
  for (const level of [1, 2, 3]) await c.dialEnded(level, "no-answer");
  await c.recorded(25);
  await c.hungUp(80);
  callSid = c.callSid;
  incidentId = (await t.twilio.api(`/api/calls/${c.callSid}`)).json.incidentId;
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

/** A browser of one's own (own cookies), signed in with the form. */
async function signedIn(role: keyof typeof PEOPLE): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => message.type() === "error" && !message.text().includes("403") && errors.push(message.text()));
  await signInPage(page, t.line.url, PEOPLE[role].email);
  await expect(page.locator("header .who").textContent()).resolves.toBe(`${PEOPLE[role].name} (${role})`);
  return { context, page, errors };
}

const sessionCookie = async (context: BrowserContext) => (await context.cookies()).find((c) => c.name === "el_session")!;
const statusWith = async (cookie: { name: string; value: string }, path: string) => (await fetch(`${t.line.url}${path}`, { headers: { cookie: `${cookie.name}=${cookie.value}` }, redirect: "manual" })).status;
/** What the page's own hidden CSRF field holds: a forged change made with the person's own session. */
const csrfOf = (page: Page) => page.locator('input[name="_csrf"]').first().inputValue();

it("a viewer reads everything staff read, changes nothing, and signing out ends the session server-side", async () => {
  const { context, page, errors } = await signedIn("viewer");
  await expect(page.getByRole("link", { name: incidentId }).count()).resolves.toBe(1);
  for (const name of ["Queues", "Staff", "Audit"]) await expect(page.getByRole("link", { name, exact: true }).count()).resolves.toBe(0);
  await page.screenshot({ path: join(ARTIFACTS, "dashboard-viewer.png"), fullPage: true });

  await page.getByRole("link", { name: incidentId }).click();
  await page.waitForURL(`**/console/calls/${callSid}`);
  await expect(page.locator(".case-state").textContent()).resolves.toContain("Case open");
  await expect(page.getByRole("button", { name: "Record partner reply" }).count()).resolves.toBe(0);
  // Even a change sent by hand, with the viewer's own session and CSRF token, is refused.
  const forged = await page.request.post(`${t.line.url}/console/incidents/${incidentId}/reply`, { form: { _csrf: await csrfOf(page) }, maxRedirects: 0 });
  expect(forged.status()).toBe(403);
  expect(await forged.text()).toContain("needs the engineer role; you are signed in as Vera Viewer (viewer)");

  await page.getByRole("link", { name: "Roster" }).click();
  await expect(page.getByRole("button", { name: "Save roster" }).count()).resolves.toBe(0);
  const audit = await page.goto(`${t.line.url}/console/audit`);
  expect(audit!.status()).toBe(403);
  await expect(page.locator("h1").textContent()).resolves.toBe("Not allowed");

  const cookie = await sessionCookie(context);
  await page.goto(`${t.line.url}/console`);
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL(`${t.line.url}/console/login`);
  expect(await statusWith(cookie, "/console")).toBe(401);
  expect(errors).toEqual([]);
  await context.close();
}, 60_000);

it("an engineer records the partner's reply and issues an API token, but neither changes the roster nor reads the audit trail", async () => {
  const { context, page, errors } = await signedIn("engineer");
  await page.screenshot({ path: join(ARTIFACTS, "dashboard-engineer.png"), fullPage: true });
  await page.getByRole("link", { name: incidentId }).click();
  await page.getByRole("button", { name: "Record partner reply" }).click();
  await expect(page.locator(".notice").textContent()).resolves.toContain("Partner reply recorded");
  await expect(page.locator(".case-state").textContent()).resolves.toContain("Case partner-replied");

  await page.getByRole("link", { name: "Roster" }).click();
  await expect(page.getByRole("button", { name: "Save roster" }).count()).resolves.toBe(0);
  const forged = await page.request.post(`${t.line.url}/console/roster/move-up/2`, { form: { _csrf: await csrfOf(page) }, maxRedirects: 0 });
  expect(forged.status()).toBe(403);
  expect(await t.line.roster.current()).toEqual(ENGINEERS);
  expect((await page.goto(`${t.line.url}/console/audit`))!.status()).toBe(403);
  expect((await page.goto(`${t.line.url}/console/queues`))!.status()).toBe(403);

  await page.goto(`${t.line.url}/console`);
  await page.locator("header .who").click();
  await page.getByLabel("Label").fill("incident scripts");
  await page.getByRole("button", { name: "Issue token" }).click();
  const token = (await page.locator("code.token").textContent())!;
  const api = await fetch(`${t.line.url}/api/incidents/${incidentId}`, { headers: { authorization: `Bearer ${token}` } });
  expect(api.status).toBe(200);
  expect(errors).toEqual([]);
  // Left signed in: the admin signs Ed out everywhere next.
  edCookie = await sessionCookie(context);
  expect(await statusWith(edCookie, "/console")).toBe(200);
  await context.close();
}, 60_000);

it("an admin reorders the roster, signs Ed out everywhere, and finds every action in the audit trail", async () => {
  const { context, page, errors } = await signedIn("admin");
  for (const name of ["Queues", "Staff", "Audit"]) await expect(page.getByRole("link", { name, exact: true }).count()).resolves.toBe(1);
  await page.screenshot({ path: join(ARTIFACTS, "dashboard-admin.png"), fullPage: true });

  await page.getByRole("link", { name: "Roster" }).click();
  await page.getByRole("button", { name: "move engineer 2 up" }).click();
  await expect(page.getByLabel("number of engineer 1").inputValue()).resolves.toBe(ENGINEERS[1]!.number);

  await page.getByRole("link", { name: "Staff", exact: true }).click();
  await page.getByRole("button", { name: "sign out ed@platform.test everywhere" }).click();
  await expect(page.locator(".notice").textContent()).resolves.toBe("ed@platform.test: 1 session(s) ended.");
  expect(await statusWith(edCookie, "/console")).toBe(401);

  await page.getByRole("link", { name: "Audit", exact: true }).click();
  const rows = page.locator("tr.audit-entry");
  const entries = await rows.evaluateAll((trs) => trs.map((tr) => [tr.querySelector("td[title]")!.getAttribute("title")!.split(" ")[0], tr.querySelector("td.action")!.textContent]));
  for (const [who, action] of [
    ["vera@platform.test", "auth.sign-in"],
    ["vera@platform.test", "auth.sign-out"],
    ["ed@platform.test", "auth.sign-in"],
    ["ed@platform.test", "case.reply"],
    ["ed@platform.test", "token.issued"],
    ["ada@platform.test", "auth.sign-in"],
    ["ada@platform.test", "roster.move-up"],
    ["ada@platform.test", "auth.sign-out-everywhere"],
  ]) {
    expect(entries, `${who} ${action}`).toContainEqual([who, action]);
  }
  // The refused attempts changed nothing and recorded no change.
  expect(entries.filter(([, action]) => action === "roster.move-up")).toHaveLength(1);
  expect(entries.filter(([, action]) => action === "case.reply")).toHaveLength(1);
  await page.screenshot({ path: join(ARTIFACTS, "audit.png"), fullPage: true });

  await page.getByLabel("Person").fill("ed@platform.test");
  await page.getByRole("button", { name: "Filter" }).click();
  const filtered = await rows.locator("td.action").allTextContents();
  expect(filtered.sort()).toEqual(["auth.sign-in", "case.reply", "token.issued"]);
  await page.screenshot({ path: join(ARTIFACTS, "audit-filtered-engineer.png"), fullPage: true });
  expect(errors).toEqual([]);
  await t.line.roster.replace(ENGINEERS);
  await context.close();
}, 60_000);
