
import { type Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { waitFor } from "../../src/simulator/wait.ts";
import { launchChromium, signInPage } from "../helpers/browser.ts";
import { startTestLine, type TestLine } from "../helpers/line.ts";
import { PEOPLE, writeStaffFile } from "../helpers/staff.ts";

// Debian's chromium, as in console.browser.test.ts.

let t: TestLine;
let browser: Browser;

beforeAll(async () => {
  t = await startTestLine("queues-browser", { publicIsLocal: true, env: { STAFF_FILE: await writeStaffFile() } });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

it("the queues board works under its CSP, fetches nothing from the internet, sends the CSRF token with its changes and links back", async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors: string[] = [];
  const elsewhere: string[] = [];
  const changes: { method: string; url: string; token: string | undefined }[] = [];
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  page.on("request", (request) => {
    if (!request.url().startsWith(t.line.url)) elsewhere.push(request.url());
    if (request.method() !== "GET") changes.push({ method: request.method(), url: request.url(), token: request.headers()["x-xsrf-token"] });
  });
  await signInPage(page, t.line.url, PEOPLE.admin.email);

  await page.goto(`${t.line.url}/console/queues`);
  const card = page.locator("div", { has: page.getByText("followup-email", { exact: true }) }).filter({ hasText: "Jobs" }).last();
  await card.locator("button").last().click();
  await page.getByRole("menuitem", { name: "Pause" }).click();
  await page.getByRole("button", { name: "Confirm" }).click();
  await waitFor(() => t.line.queues.email.isPaused(), "the board to pause the queue");
  const pause = changes.find((change) => change.url.endsWith("/api/queues/followup-email/pause"))!;
  expect(pause.method).toBe("PUT");
  expect(pause.token).toMatch(/^[\w-]{20,}$/);

  await page.locator("ul[class^=actions] > li").last().locator("button").click();
  await page.getByText("Back to the console").click();
  await page.waitForURL(`${t.line.url}/console`);

  expect(elsewhere).toEqual([]);
  expect(errors, errors.join("\n")).toEqual([]);
  await t.line.queues.email.resume();
  await page.close();
}, 60_000);
