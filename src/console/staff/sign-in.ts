import argon2 from "argon2";
import express, { Router, type Request, type Response } from "express";
import type { Redis } from "ioredis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { z } from "zod";
import type { StaffMember } from "../../call/staff.ts";
import { cookie, type StaffGuard } from "../auth.ts";
import type { AuditTrail } from "./audit.ts";
import type { SingleSignOn } from "./oidc.ts";
import { SsoError } from "./oidc.ts";
import { loginPage, signedInPage } from "./pages.ts";
import type { StaffKeys } from "./sessions.ts";

/** Failed sign-ins allowed per window: per email (someone guessing one person's password) and per address (anyone's). */
export const LOGIN_LIMITS = { perEmail: 5, perIp: 20, windowSeconds: 15 * 60 } as const;
const SSO_COOKIE = "el_sso";

const loginForm = z.object({
  email: z.string({ error: "required" }).trim().toLowerCase().min(1, "required"),
  password: z.string({ error: "required" }).min(1, "required"),
});

export interface SignInDeps {
  staff: StaffMember[];
  guard: StaffGuard;
  audit: AuditTrail;
  redis: Redis;
  keys: StaffKeys;
  sso: SingleSignOn | null;
  secure: boolean;
}

/**
 * GET/POST /console/login (email and password from STAFF_FILE) and single sign-on, before anyone is signed
 * in. A wrong email or password answers 401 and starts no session; past LOGIN_LIMITS failures the sign-in
 * answers 429 with Retry-After, even with the right password, until the window has passed.
 */
export function signInRoutes({ staff, guard, audit, redis, keys, sso, secure }: SignInDeps): Router {
  const router = Router();
  const byEmail = new RateLimiterRedis({ storeClient: redis, keyPrefix: keys.loginFailures("email"), points: LOGIN_LIMITS.perEmail, duration: LOGIN_LIMITS.windowSeconds });
  const byIp = new RateLimiterRedis({ storeClient: redis, keyPrefix: keys.loginFailures("ip"), points: LOGIN_LIMITS.perIp, duration: LOGIN_LIMITS.windowSeconds });
  const members = new Map(staff.map((member) => [member.email, member]));
  // An unknown email costs the same verification as a known one, so timing does not tell who has an account.
  let decoy: Promise<string> | null = null;
  const page = (res: Response, status: number, error?: string, email?: string) =>
    res.status(status).type("html").send(loginPage({ local: members.size > 0, sso: sso !== null, error, email }));

  router.get("/login", (_req, res) => {
    page(res, 200);
  });

  // The only body read before anyone has signed in: an email and a password, so a few KB at most.
  router.post("/login", express.urlencoded({ extended: false, limit: "4kb" }), async (req, res) => {
    const form = loginForm.safeParse(req.body ?? {});
    if (!form.success) return page(res, 400, `Not signed in: ${form.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}.`);
    const { email, password } = form.data;
    const ip = req.ip ?? "unknown";
    const [emailFailures, ipFailures] = await Promise.all([byEmail.get(email), byIp.get(ip)]);
    const waitMs = Math.max(blockedFor(emailFailures, LOGIN_LIMITS.perEmail), blockedFor(ipFailures, LOGIN_LIMITS.perIp));
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      res.set("Retry-After", String(seconds));
      return page(res, 429, `Too many failed sign-ins: try again in ${Math.ceil(seconds / 60)} minute(s).`, email);
    }
    const member = members.get(email);
    decoy ??= argon2.hash("a password nobody has", costOf(staff[0]?.password));
    const ok = await argon2.verify(member?.password ?? (await decoy), password).catch(() => false);
    if (!member || !ok) {
      await Promise.all([byEmail.consume(email), byIp.consume(ip)].map((consumed) => consumed.catch(overLimitIsFine)));
      await audit.record({ email, name: member?.name ?? email, role: member?.role ?? null, via: "password" }, { action: "auth.sign-in-refused", target: email, after: { ip } });
      return page(res, 401, "Wrong email or password.", email);
    }
    await byEmail.delete(email);
    const actor = { email, name: member.name, role: member.role, via: "password" } as const;
    await guard.signIn(req, res, actor);
    await audit.record(actor, { action: "auth.sign-in", target: email, after: { via: "password", ip } });
    res.redirect(303, "/console");
  });

  if (sso) {
    const ssoCookie = { httpOnly: true, secure, path: "/console/login/sso", maxAge: 600_000 } as const;
    router.get("/login/sso", async (_req, res) => {
      const { url, key } = await sso.start();
      // Lax, unlike the session cookie: it must come back on the provider's redirect, a cross-site navigation.
      res.cookie(SSO_COOKIE, key, { ...ssoCookie, sameSite: "lax" });
      res.redirect(303, url);
    });
    router.get("/login/sso/callback", async (req: Request, res) => {
      res.clearCookie(SSO_COOKIE, { ...ssoCookie, sameSite: "lax" });
      try {
        const actor = await sso.finish(cookie(req, SSO_COOKIE), sso.callbackUrl(req.originalUrl.split("?")[1] ?? ""));
        await guard.signIn(req, res, actor);
        await audit.record(actor, { action: "auth.sign-in", target: actor.email, after: { via: "sso", ip: req.ip } });
        res.type("html").send(signedInPage(actor));
      } catch (error) {
        if (!(error instanceof SsoError)) throw error;
        page(res, error.status, `Single sign-on failed: ${error.message}.`);
      }
    });
  }
  return router;
}

/** The cost parameters of a stored hash (`m=…,t=…,p=…`), so the decoy costs what a real account's check does. */
function costOf(hash: string | undefined): argon2.HashOptions & { raw?: false } {
  const params = Object.fromEntries([.../[$,]([mtp])=(\d+)/g[Symbol.matchAll](hash ?? "")].map(([, name, value]) => [name, Number(value)]));
  return { type: argon2.argon2id, memoryCost: params.m, timeCost: params.t, parallelism: params.p };
}

/** How long a limiter still refuses, in ms: 0 below its limit. */
function blockedFor(failures: RateLimiterRes | null, limit: number): number {
  return failures && failures.consumedPoints >= limit ? failures.msBeforeNext : 0;
}

/** consume() rejects with a RateLimiterRes once over the limit (the failure is counted all the same); a Redis error is real. */
function overLimitIsFine(reason: unknown): void {
  if (!(reason instanceof RateLimiterRes)) throw reason;
}
