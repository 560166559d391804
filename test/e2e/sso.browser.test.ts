import { once } from "node:events";
import { mkdirSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import Provider from "oidc-provider";
import { type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../helpers/browser.ts";
import { startTestLine, type TestLine } from "../helpers/line.ts";
import { freePort } from "../helpers/processes.ts";

// Debian's chromium, as in console.browser.test.ts.
const ARTIFACTS = "test-artifacts";
const CLIENT = { id: "emergency-line", secret: "a-client-secret-for-the-sso-test" };

/** The provider's people: their login at its (development) sign-in form, and the groups it says they are in. */
const ACCOUNTS: Record<string, { name: string; groups: string[] }> = {
  grace: { name: "Grace Hopper", groups: ["everyone", "oncall-admins"] },
  linus: { name: "Linus Torvalds", groups: ["oncall"] },
  mallory: { name: "Mallory", groups: ["marketing"] },
};

let t: TestLine;
let browser: Browser;
let idp: Server;

beforeAll(async () => {
  // The provider's address goes into the line's configuration, and the line's into the provider's: the
  // port is chosen first, the provider started once the line listens (the line discovers it on first use).
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  t = await startTestLine("sso", {
    publicIsLocal: true,
    env: { OIDC_ISSUER: issuer, OIDC_CLIENT_ID: CLIENT.id, OIDC_CLIENT_SECRET: CLIENT.secret, OIDC_ROLE_MAP: "oncall-admins=admin,oncall=engineer" },
  });
  const provider = new Provider(issuer, {
    clients: [{ client_id: CLIENT.id, client_secret: CLIENT.secret, redirect_uris: [`${t.publicBase}/console/login/sso/callback`], grant_types: ["authorization_code"], response_types: ["code"] }],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "groups"] },
    cookies: { keys: ["a-cookie-key-for-the-sso-test"] },
    ttl: { Interaction: 600, Session: 600, Grant: 600, AccessToken: 600, IdToken: 600 },
    async findAccount(_ctx, id) {
      const account = ACCOUNTS[id];
      if (!account) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, email: `${id}@platform.test`, email_verified: true, name: account.name, groups: account.groups }) };
    },
  });
  idp = provider.listen(port, "127.0.0.1");
  await once(idp, "listening");
  browser = await launchChromium();
  mkdirSync(ARTIFACTS, { recursive: true });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  idp?.close();
  await t?.stop();
});

/** A fresh browser through the provider's sign-in and consent pages; nothing leaves this machine. */
async function throughProvider(login: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  // The provider's development pages link a web font: loopback only.
  await context.route(/^https?:\/\/(?!127\.0\.0\.1[:/])/, (route) => route.abort());
  const page = await context.newPage();
  await page.goto(`${t.line.url}/console/login`);
  await page.getByRole("link", { name: "Sign in with single sign-on" }).click();
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("anything");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
  return { context, page };
}

describe("single sign-on against a local OpenID provider", () => {
  it("signs a person in with the role their groups map to, audited; sign-out ends the session", async () => {
    const { context, page } = await throughProvider("grace");
    await page.waitForURL(`${t.line.url}/console`);
    await expect(page.locator("header .who").textContent()).resolves.toBe("Grace Hopper (admin)");
    const cookie = (await context.cookies()).find((c) => c.name === "el_session")!;
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: "Strict" });

    await page.getByRole("link", { name: "Audit", exact: true }).click();
    await expect(page.locator("tr.audit-entry").first().locator("td.action").textContent()).resolves.toBe("auth.sign-in");
    await expect(page.locator("tr.audit-entry").first().locator("code.after").textContent()).resolves.toContain('"via":"sso"');
    await page.screenshot({ path: join(ARTIFACTS, "sso-admin-audit.png"), fullPage: true });

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${t.line.url}/console/login`);
    expect((await fetch(`${t.line.url}/console`, { headers: { cookie: `el_session=${cookie.value}` }, redirect: "manual" })).status).toBe(401);
    await context.close();
  }, 60_000);

  it("maps another group to engineer, who then may not read the audit trail", async () => {
    const { context, page } = await throughProvider("linus");
    await page.waitForURL(`${t.line.url}/console`);
    await expect(page.locator("header .who").textContent()).resolves.toBe("Linus Torvalds (engineer)");
    expect((await page.goto(`${t.line.url}/console/audit`))!.status()).toBe(403);
    await context.close();
  }, 60_000);

  it("refuses a person whose groups map to no role, and starts no session", async () => {
    const { context, page } = await throughProvider("mallory");
    await expect(page.locator("p.error").textContent()).resolves.toContain('Single sign-on failed: mallory@platform.test has no console role: the provider\'s "groups" claim (["marketing"])');
    expect((await context.cookies()).find((c) => c.name === "el_session")).toBeUndefined();
    await context.close();
  }, 60_000);

  it("refuses a callback replayed or forged without the browser's own attempt", async () => {
    const response = await fetch(`${t.line.url}/console/login/sso/callback?code=stolen&state=guessed`, { redirect: "manual" });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain("this single sign-on attempt has expired or was already used");
  });
});
