import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, signInPage } from "../helpers/browser.ts";
import { CONSOLE_TOKEN, DRILL_CALLER, startTestLine, TestCall, type TestLine } from "../helpers/line.ts";
import { startSmtp, waitFor } from "../helpers/receivers.ts";
import { PEOPLE, writeStaffFile } from "../helpers/staff.ts";

// Debian's chromium, as in console.browser.test.ts; screenshots go to test-artifacts/ (git-ignored).
const ARTIFACTS = "test-artifacts";
const ACME = "+15557770001";

let t: TestLine;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let browser: Browser;
const ids: Record<string, string> = {};
const sids: Record<string, string> = {};

async function call(from: string, ending: "connected" | "voicemail" | "abandoned"): Promise<void> {
  const c = new TestCall(t.twilio, from);
  await c.incoming();
  if (ending === "connected") {
    await c.whisper(1);
    await c.pressOnWhisper(1, "1");
    await c.dialEnded(1, "completed", 60);
  } else if (ending === "voicemail") {
    for (const level of [1, 2, 3]) await c.dialEnded(level, "no-answer");
    await c.recorded(25);
    await c.transcribed("Checkout fails for every user since nine. Please call me back on +1 555 777 0001.");
  }
  await c.hungUp(90);
  sids[ending] = c.callSid;
  ids[from === DRILL_CALLER ? "drill" : ending] = (await t.twilio.api(`/api/calls/${c.callSid}`)).json.incidentId;
}

beforeAll(async () => {
  smtp = await startSmtp();
  const partners = join(mkdtempSync(join(tmpdir(), "el-e2e-dash-")), "partners.json");
  writeFileSync(partners, JSON.stringify({ [ACME]: { name: "Acme Payments", email: "oncall@acme.test", domains: ["acme.test"] }, [DRILL_CALLER]: { name: "Acme Payments" } }));
  t = await startTestLine("dashboard-browser", {
    workers: true,
    publicIsLocal: true,
    env: { SMTP_URL: smtp.url, PARTNERS_FILE: partners, TRANSCRIPTION_WAIT_SECONDS: "0", FOLLOWUP_RETRY_DELAY_MS: "50", STAFF_FILE: await writeStaffFile() },
  });
  browser = await launchChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
  // 60 abandoned calls from unknown numbers (more than one page of 50), then the three the tests look at.
  for (let i = 0; i < 60; i++) {
    const c = new TestCall(t.twilio, `+1555444${String(i).padStart(4, "0")}`);
    await c.incoming();
    await c.hungUp(3);
  }
  await call(ACME, "voicemail");
  await call(DRILL_CALLER, "connected");
  await waitFor(async () => (await t.twilio.api(`/api/incidents/${ids.voicemail}`)).json.followup.email.state === "sent", "the follow-up email");
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await t?.stop();
  await smtp?.close();
});

/** A browser of one's own, signed in; console errors (a CSP violation shows as one) are collected. */
async function signedIn(role: keyof typeof PEOPLE): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("console", (message) => message.type() === "error" && !message.text().includes("403") && errors.push(message.text()));
  await signInPage(page, t.line.url, PEOPLE[role].email);
  return { context, page, errors };
}

const rowIds = (page: Page) => page.locator("tr.incident").evaluateAll((rows) => rows.map((row) => row.getAttribute("data-id")));

describe("the dashboard in a browser", () => {
  it("filters, searches and pages through the incidents; a viewer sees no case buttons and cannot post one", async () => {
    const { context, page, errors } = await signedIn("viewer");
    expect(await rowIds(page)).toHaveLength(50);
    // Local time on hover: refresh.js fills each <time>'s title.
    await expect.poll(() => page.locator("tr.incident time").first().getAttribute("title")).toContain("(your local time)");
    await page.getByRole("link", { name: "Older incidents →" }).click();
    expect(await rowIds(page)).toHaveLength(12);
    await page.getByRole("link", { name: "← Newest" }).click();

    await page.getByLabel("Outcome").selectOption("voicemail");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/outcome=voicemail/);
    expect(await rowIds(page)).toEqual([ids.voicemail]);
    await expect(page.locator(`tr[data-id="${ids.voicemail}"] td.paged`).textContent()).resolves.toBe("no: paging off");

    await page.goto(`${t.line.url}/console`);
    await page.getByLabel("Calls").selectOption("only");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/drill=only/);
    expect(await rowIds(page)).toEqual([ids.drill]);

    await page.goto(`${t.line.url}/console`);
    await page.getByLabel("Search").fill("acme");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/q=acme/);
    expect(await rowIds(page)).toEqual([ids.drill, ids.voicemail]);
    await page.getByLabel("Search").fill("444 0007");
    await page.getByRole("button", { name: "Filter" }).click();
    expect(await rowIds(page)).toHaveLength(1);

    await page.goto(`${t.line.url}/console/incidents/${ids.voicemail}`);
    await page.waitForURL(`**/console/calls/${sids.voicemail}`);
    for (const name of ["Assign owner", "Close case", "Add note", "Send reply"]) await expect(page.getByRole("button", { name }).count()).resolves.toBe(0);
    const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
    for (const verb of ["assign", "notes", "close", "messages"]) {
      const forged = await page.request.post(`${t.line.url}/console/incidents/${ids.voicemail}/${verb}`, { form: { _csrf: csrf, owner: PEOPLE.viewer.email, note: "0123456789abcdef", text: "mine" }, maxRedirects: 0 });
      expect(forged.status(), verb).toBe(403);
    }
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it("shows the engineer being rung now, live, on the dashboard and on the call page", async () => {
    const { context, page, errors } = await signedIn("viewer");
    const live = new TestCall(t.twilio, ACME);
    await live.incoming();
    await page.goto(`${t.line.url}/console`);
    await expect(page.locator("#live-calls .now-ringing").textContent()).resolves.toBe("ringing Ada");
    await page.locator("#live-calls a", { hasText: "Acme Payments" }).click();
    await page.waitForURL(`**/console/calls/${live.callSid}`);
    await expect(page.locator("#live .now").textContent()).resolves.toMatch(/^Now: ringing Ada \(\+15550001001\), engineer 1, for \d+ s\.$/);
    // Ada does not answer: without a reload, the page shows Grace's phone ringing.
    await live.dialEnded(1, "no-answer");
    await expect.poll(() => page.locator("#live .engineer").textContent(), { timeout: 10_000 }).toBe("Grace");
    await expect(page.locator(".timeline-legend li").allTextContents()).resolves.toEqual(expect.arrayContaining([expect.stringMatching(/^\d\. Ada: no answer /), expect.stringMatching(/^\d\. Grace: ringing /)]));
    await page.screenshot({ path: join(ARTIFACTS, "call-page-live.png"), fullPage: true });
    await live.hungUp(20);
    await expect.poll(() => page.locator("#live").textContent(), { timeout: 10_000 }).toContain("Call over");
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});

describe("case actions by role", () => {
  it("an engineer assigns, notes, replies, closes and reopens, and may not read the audit trail", async () => {
    const { context, page, errors } = await signedIn("engineer");
    await page.goto(`${t.line.url}/console/calls/${sids.voicemail}`);
    await expect(page.locator("a.tel", { hasText: "+15557770001" }).first().getAttribute("href")).resolves.toBe("tel:+15557770001");
    await page.getByLabel("Owner").selectOption(PEOPLE.engineer.email);
    await page.getByRole("button", { name: "Assign owner" }).click();
    await expect(page.locator(".notice").textContent()).resolves.toBe("Owner assigned.");
    await expect(page.locator(".case-state .owner").textContent()).resolves.toBe(`owner: ${PEOPLE.engineer.name}`);
    await page.getByLabel("Private note").fill("Rang Acme back; their PSP is down.");
    await page.getByRole("button", { name: "Add note" }).click();
    await expect(page.locator(".case-notes pre").textContent()).resolves.toBe("Rang Acme back; their PSP is down.");
    await page.getByLabel("Reply to the partner").fill("We are on it: please send two x-trace-id values.");
    await page.getByRole("button", { name: "Send reply" }).click();
    await expect(page.locator(".notice").textContent()).resolves.toContain("Reply queued");
    await waitFor(() => smtp.messages.some((m) => (m.mail.text ?? "").includes("please send two x-trace-id values")), "the reply to be sent");
    await page.getByRole("button", { name: "Close case" }).click();
    await expect(page.locator(".case-state").textContent()).resolves.toMatch(/^Case closed/);
    await page.getByRole("button", { name: "Reopen case" }).click();
    await expect(page.locator(".case-state").textContent()).resolves.toMatch(/^Case awaiting-reply, closes \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    await page.screenshot({ path: join(ARTIFACTS, "call-page-case.png"), fullPage: true });
    expect((await page.goto(`${t.line.url}/console/audit`))!.status()).toBe(403);

    await page.goto(`${t.line.url}/console/partners/Acme%20Payments`);
    await expect(page.locator("h1").textContent()).resolves.toBe("Acme Payments");
    await expect(page.locator("section.misuse").textContent()).resolves.toContain("+15557770001: 2");
    await expect(page.locator("section", { hasText: "Drill history" }).locator("tr.incident").count()).resolves.toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, "partner-page.png"), fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);

  it("an admin finds each of those actions in the audit trail, with who, before and after", async () => {
    const { context, page, errors } = await signedIn("admin");
    await page.screenshot({ path: join(ARTIFACTS, "dashboard.png"), fullPage: true });
    await page.getByRole("link", { name: "Audit", exact: true }).click();
    await page.getByLabel("Action").fill("case.");
    await page.getByRole("button", { name: "Filter" }).click();
    const entries = await page.locator("tr.audit-entry").evaluateAll((rows) => rows.map((row) => [row.querySelector("td[title]")!.getAttribute("title")!.split(" ")[0], row.querySelector("td.action")!.textContent]));
    expect(entries.map(([, action]) => action).sort()).toEqual(["case.assign", "case.close", "case.message", "case.note", "case.reopen"]);
    expect(entries.every(([who]) => who === PEOPLE.engineer.email)).toBe(true);
    await expect(page.locator("tr.audit-entry", { hasText: "case.close" }).textContent()).resolves.toMatch(/awaiting-reply[\s\S]*closed/);
    await page.screenshot({ path: join(ARTIFACTS, "audit-page.png"), fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});

describe("drill results in a browser", () => {
  it("links a published run to its incident and to its timeline report; the drill call outside it is a partner drill", async () => {
    const report = {
      startedAt: "2026-12-07T03:00:00.000Z",
      target: t.line.url,
      realMs: 41_000,
      passed: true,
      scenarios: [
        {
          name: "engineer 1 answers",
          file: "drills/answer.yaml",
          passed: true,
          calls: [
            {
              caller: DRILL_CALLER,
              incidentId: ids.voicemail,
              passed: true,
              timings: { firstRingAt: 2.5, humanAt: 9.1, beepAt: null, endedAt: 40 },
              checks: [{ name: "time to a human", expected: "≤ 20 s", actual: "9.1 s", ok: true }],
              events: [
                { t: 0, party: "caller", kind: "hears", text: "Emergency line. This is a drill." },
                { t: 2.5, party: "engineer 1", kind: "rings", text: "Ada's phone rings" },
                { t: 9.1, party: "engineer 1", kind: "presses", text: "1" },
                { t: 40, party: "caller", kind: "hangs", text: "hangs up" },
              ],
            },
          ],
        },
      ],
    };
    expect((await fetch(`${t.line.url}/api/drill-reports`, { method: "POST", headers: { authorization: `Bearer ${CONSOLE_TOKEN}`, "content-type": "application/json" }, body: JSON.stringify(report) })).status).toBe(201);
    const { context, page, errors } = await signedIn("viewer");
    await page.getByRole("link", { name: "Drills", exact: true }).click();
    await expect(page.locator("table.partner-drills tr.partner-drill a", { hasText: ids.drill! }).count()).resolves.toBe(1);
    await expect(page.locator("article.drill").getByRole("link", { name: ids.voicemail! }).count()).resolves.toBe(1);
    await page.getByRole("link", { name: "Timeline report" }).click();
    await page.waitForURL(/\/console\/drills\/[0-9a-f]{16}\/report$/);
    await expect(page.locator("svg.report-bar g.span-rings title").textContent()).resolves.toBe("2.5–9.1 s engineer 1 rings: Ada's phone rings");
    await page.screenshot({ path: join(ARTIFACTS, "drill-report.png"), fullPage: true });
    expect(errors).toEqual([]);
    await context.close();
  }, 60_000);
});
