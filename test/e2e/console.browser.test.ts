import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { SimulatedCall } from "../../src/simulator/carrier.ts";
import { callerSchema, engineerSchema } from "../../src/simulator/scenario.ts";
import { launchChromium, signInPage } from "../helpers/browser.ts";
import { ACCOUNT_SID, AUTH_TOKEN, ENGINEERS, startTestLine, TestCall, type TestLine } from "../helpers/line.ts";
import { PEOPLE, writeStaffFile } from "../helpers/staff.ts";
import { startSmtp } from "../helpers/receivers.ts";
import { waitFor } from "../../src/simulator/wait.ts";

// Debian's chromium, which .ci/run installs when it is missing; Playwright's own browser download is not used.
const ARTIFACTS = "test-artifacts";
const PARTNER = "+15557770001";

let t: TestLine;
let smtp: Awaited<ReturnType<typeof startSmtp>>;
let browser: Browser;

beforeAll(async () => {
  smtp = await startSmtp();
  const partners = join(mkdtempSync(join(tmpdir(), "el-e2e-")), "partners.json");
  writeFileSync(partners, JSON.stringify({ [PARTNER]: { name: "Acme Payments", email: "oncall@acme.test" } }));
  t = await startTestLine("browser", { workers: true, publicIsLocal: true, env: { SMTP_URL: smtp.url, PARTNERS_FILE: partners, TRANSCRIPTION_WAIT_SECONDS: "1", FOLLOWUP_RETRY_DELAY_MS: "50", STAFF_FILE: await writeStaffFile() } });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t?.stop();
  await smtp?.close();
});

async function logIn(page: Page) {
  await signInPage(page, t.line.url, PEOPLE.admin.email);
}

it("staff log in, follow a voicemail call, record the partner's reply and reorder the roster", async () => {
  // A call that went to voicemail: all three engineers missed, the caller left a message.
  const c = new TestCall(t.twilio, PARTNER);
  await c.incoming();
  await c.dialEnded(1, "no-answer");
  await c.whisper(2);
  await c.dialEnded(2, "completed", 18);
  await c.dialEnded(3, "busy");
  await c.recorded(33);
  await c.recordingStatus();
  await c.hungUp(140);
  await c.transcribed("Payments fail for every user since 9 am. Email me at jane dot doe at acme dot com.");
  const { incidentId } = (await t.twilio.api(`/api/calls/${c.callSid}`)).json;
  await waitFor(async () => (await t.twilio.api(`/api/incidents/${incidentId}`)).json.followup.case.state === "awaiting-reply", "the follow-up to go out");

  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  const errors: string[] = [];
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  await logIn(page);

  await page.getByRole("link", { name: incidentId }).click();
  await page.waitForURL(`**/console/calls/${c.callSid}`);
  const bar = page.locator("svg.timeline-bar");
  expect(await bar.locator("g.segment-missed").count()).toBe(3);
  // In the bar, a label only where it fits whole; else the segment's number (the legend has it in full).
  const texts = await bar.locator("g.segment-missed text").allTextContents();
  ["Ada: no answer", "Grace: answered, not accepted", "Linus: busy"].forEach((label, i) => expect([label, String(i + 2)]).toContain(texts[i]));
  expect(["voicemail left", "5"]).toContain(await bar.locator("g.segment-voicemail text").textContent());
  // Every segment is in the legend in full, whatever fits in the bar, and in its tooltip.
  const legend = await page.locator(".timeline-legend li").allTextContents();
  expect(legend.map((text) => text.replace(/ [\d.]+ s$/, ""))).toEqual(["1. greeting", "2. Ada: no answer", "3. Grace: answered, not accepted", "4. Linus: busy", "5. voicemail left"]);
  await expect(bar.locator("g.segment-missed title").allTextContents()).resolves.toEqual([expect.stringMatching(/^2\. Ada: no answer \(/), expect.stringMatching(/^3\. Grace: answered, not accepted \(/), expect.stringMatching(/^4\. Linus: busy \(/)]);
  await expect(page.locator("blockquote.transcript").textContent()).resolves.toContain("Email me at jane dot doe at acme dot com");
  await expect(page.locator(".email pre").textContent()).resolves.toContain("x-trace-id");
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, "console-call.png"), fullPage: true });

  await page.getByRole("button", { name: "Record partner reply" }).click();
  await expect(page.locator(".notice").textContent()).resolves.toContain("Partner reply recorded");
  await expect(page.locator(".case-state").textContent()).resolves.toContain("Case partner-replied");
  expect((await t.twilio.api(`/api/incidents/${incidentId}`)).json.followup.case.state).toBe("partner-replied");

  await page.getByRole("link", { name: "Roster" }).click();
  await page.getByRole("button", { name: "move engineer 2 up" }).click();
  await expect(page.getByLabel("number of engineer 1").inputValue()).resolves.toBe(ENGINEERS[1]!.number);

  // The next call, placed by the carrier simulator, rings the new engineer 1 first.
  const next = await new SimulatedCall(
    { target: t.line.url, accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, lineNumber: "+15550009999" },
    callerSchema.parse({ number: "+15557770002" }),
    [engineerSchema.parse({ does: "accept", answerAfter: 3 })],
  ).run();
  expect(next.events.find((e) => e.kind === "rings")!.text).toContain(ENGINEERS[1]!.number);
  expect(next.bridgedLevel).toBe(1);
  expect(errors, errors.join("\n")).toEqual([]);
  await page.close();
}, 60_000);
