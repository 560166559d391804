import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchChromium, signInPage } from "../helpers/browser.ts";
import { PEOPLE, writeStaffFile } from "../helpers/staff.ts";
import { CONSOLE_TOKEN, startTestLine, type TestLine } from "../helpers/line.ts";

// Debian's chromium, which .ci/run installs when it is missing; Playwright's own browser download is not used.
const ARTIFACTS = "test-artifacts";
// A Wednesday afternoon in London, summer time: Katherine has the primary week, Dennis the secondary.
const NOW = new Date("2027-03-31T14:00:00+01:00");

let t: TestLine;
let browser: Browser;

beforeAll(async () => {
  t = await startTestLine("oncall-browser", { env: { SCHEDULE_FILE: "drills/schedules/handover.yaml", STAFF_FILE: await writeStaffFile() }, now: () => NOW });
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await t?.stop();
});

async function logIn(page: Page) {
  await signInPage(page, t.line.url, PEOPLE.engineer.email);
}

const onCallNow = (page: Page) => page.locator("tr.oncall-level td.oncall-engineer").allTextContents();
const overridesIn = (page: Page, level: number) => page.locator("svg.oncall-bar").nth(level - 1).locator("g.shift-override title").allTextContents();

it("shows who is on call now and two weeks per level with overrides marked; an override added in the form takes over", async () => {
  // Already planned through the API: Margaret covers the secondary on Friday.
  const planned = await fetch(`${t.line.url}/api/oncall/overrides`, {
    method: "POST",
    headers: { authorization: `Bearer ${CONSOLE_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ level: 2, engineer: "Margaret", from: "2027-04-02T09:00:00+01:00", to: "2027-04-03T09:00:00+01:00" }),
  });
  expect(planned.status).toBe(201);

  const page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
  const errors: string[] = [];
  page.on("console", (message) => message.type() === "error" && errors.push(message.text()));
  await logIn(page);
  await page.goto(`${t.line.url}/console/oncall`);

  expect(await onCallNow(page)).toEqual(["Katherine (+15550002002)", "Dennis (+15550002003)"]);
  // Since/until read as everywhere in the console: UTC, with the reader's local time on hover.
  await expect(page.locator("tr.oncall-level time").first().textContent()).resolves.toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
  await expect(page.locator("tr.oncall-level time").first().getAttribute("title")).resolves.toMatch(/\(your local time\)$/);
  // One bar per level, fourteen days each, with the line at now.
  const bars = page.locator("svg.oncall-bar");
  expect(await bars.count()).toBe(2);
  await expect(page.locator("h3").allTextContents()).resolves.toEqual(["Level 1: primary", "Level 2: secondary"]);
  expect(await bars.first().locator("line.now").count()).toBe(1);
  // Monday's handover is in the fortnight: Katherine's week, then Dennis's, then Margaret's.
  await expect(bars.first().locator("g.shift-layer text").allTextContents()).resolves.toEqual(["Katherine", "Dennis", "Margaret"]);
  expect(await overridesIn(page, 1)).toEqual([]);
  expect(await overridesIn(page, 2)).toEqual(["Margaret (override): 2027-04-02 08:00:00 UTC to 2027-04-03 08:00:00 UTC"]);

  // Margaret takes the primary for this afternoon, entered in London time.
  await page.getByLabel("Level").selectOption("1");
  await page.getByLabel("Engineer").selectOption("Margaret");
  await page.getByLabel("From (Europe/London)").fill("2027-03-31T12:00");
  await page.getByLabel("To (Europe/London)").fill("2027-03-31T18:00");
  await page.getByRole("button", { name: "Add override" }).click();
  await page.waitForURL(/\/console\/oncall\?done=/);
  await expect(page.locator(".notice").textContent()).resolves.toBe("Override added.");

  expect(await onCallNow(page)).toEqual(["Margaret (+15550002001) override", "Dennis (+15550002003)"]);
  expect(await overridesIn(page, 1)).toEqual(["Margaret (override): 2027-03-31 11:00:00 UTC to 2027-03-31 17:00:00 UTC"]);
  // Marked apart from the rotation: outlined with a dashed stroke.
  await expect(bars.first().locator("g.shift-override rect").getAttribute("stroke-dasharray")).resolves.toBe("4 2");
  // The line agrees: a call now would ring Margaret first.
  const api = await (await fetch(`${t.line.url}/api/oncall`, { headers: { authorization: `Bearer ${CONSOLE_TOKEN}` } })).json();
  expect(api.levels.map((l: { engineer: { name: string } | null; override: unknown }) => [l.engineer?.name, Boolean(l.override)])).toEqual([
    ["Margaret", true],
    ["Dennis", false],
  ]);

  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, "console-oncall.png"), fullPage: true });
  expect(errors).toEqual([]);
  await page.close();
});
