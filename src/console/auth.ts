import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { Request, RequestHandler, Response } from "express";
import { roleAtLeast, type Actor, type Role } from "../call/staff.ts";
import { requiredRole } from "./staff/policy.ts";
import type { StaffSessions } from "./staff/sessions.ts";
import { ApiTokens } from "./staff/tokens.ts";

const SESSION_COOKIE = "el_session";

const digest = (text: string) => createHash("sha256").update(text).digest();
/** Constant-time comparison; hashing first makes the lengths equal. */
export const sameSecret = (given: string, expected: string) => timingSafeEqual(digest(given), digest(expected));

/** CONSOLE_TOKEN acts as this: automation (drills, scripts) with every right, named as such in the audit trail. */
export const AUTOMATION: Actor = { email: "console-token", name: "CONSOLE_TOKEN (automation)", role: "admin", via: "console-token" };

/** One cookie's value; a value that is not valid %-encoding counts as absent (it is not one we set). */
export function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.header("cookie") ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/**
 * Scripts send the CSRF token in a header instead of a form field. These names are axios's defaults (it
 * copies the cookie into the header on same-origin requests), which is what bull-board's UI sends with.
 */
const SCRIPT_CSRF = { cookie: "XSRF-TOKEN", header: "x-xsrf-token" } as const;
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export type Area = "console" | "api";

/**
 * Who is asking, and whether they may. A request proves who it is with a bearer token (CONSOLE_TOKEN, or a
 * person's API token) or, in the console, with a session cookie: a random id whose session lives in Redis
 * (`StaffSessions`), HttpOnly, SameSite=Strict, Secure when the line is served over https. The person goes
 * into res.locals.actor; their role is then checked against `requiredRole` (403 otherwise). Every
 * cookie-authenticated request other than GET, HEAD and OPTIONS carries a CSRF token bound to the session: a
 * form field (_csrf) or, from scripts, a header (SCRIPT_CSRF). A bearer request carries no ambient
 * credential and needs none.
 */
export function staffGuard({ consoleToken, sessions, tokens, secure, maxMs }: { consoleToken: string; sessions: StaffSessions; tokens: ApiTokens; secure: boolean; maxMs: number }) {
  const key = digest(`emergency-line console session:${consoleToken}`);
  const sign = (text: string) => createHmac("sha256", key).update(text).digest("base64url");
  const cookieOptions = { httpOnly: true, sameSite: "strict", secure, path: "/" } as const;

  async function bearerActor(req: Request): Promise<Actor | null | undefined> {
    const match = /^Bearer (.+)$/.exec(req.header("authorization") ?? "");
    if (!match) return undefined;
    if (sameSecret(match[1]!, consoleToken)) return AUTOMATION;
    return ApiTokens.looksLikeOne(match[1]!) ? tokens.verify(match[1]!) : null;
  }

  return {
    /**
     * Sets res.locals.actor (and res.locals.csrf for forms) or answers through `refuse`. It reads no body,
     * so it runs before the body is parsed; `checkCsrf` runs after. The API takes bearer tokens only.
     */
    authenticate(area: Area, refuse: (req: Request, res: Response) => void): RequestHandler {
      return async (req, res, next) => {
        const bearer = await bearerActor(req);
        if (bearer) {
          res.locals.actor = bearer;
          res.locals.viaBearer = true;
          res.locals.csrf = "";
          return next();
        }
        const value = area === "console" && bearer === undefined ? cookie(req, SESSION_COOKIE) : undefined;
        const session = value ? await sessions.resume(value) : null;
        if (!session) return refuse(req, res);
        res.locals.actor = { email: session.email, name: session.name, role: session.role, via: session.via } satisfies Actor;
        res.locals.csrf = sign(`csrf:${value}`);
        next();
      };
    },
    /** After `authenticate`: the actor's role must reach what the route needs, else `forbid` answers (403). */
    authorize(area: Area, forbid: (req: Request, res: Response, needed: Role) => void): RequestHandler {
      return (req, res, next) => {
        const needed = requiredRole(area, req.method, req.path);
        if (roleAtLeast((res.locals.actor as Actor).role, needed)) return next();
        forbid(req, res, needed);
      };
    },
    /** After `authenticate` and body parsing: a cookie-authenticated change without its CSRF token gets 403. */
    checkCsrf: ((req, res, next) => {
      if (res.locals.viaBearer || SAFE_METHODS.has(req.method)) return next();
      const given = req.header(SCRIPT_CSRF.header) ?? (req.body as { _csrf?: unknown } | undefined)?._csrf;
      if (typeof given === "string" && sameSecret(given, String(res.locals.csrf))) return next();
      res.status(403).type("text/plain").send("Forbidden: the CSRF token is missing or stale; reload the page");
    }) satisfies RequestHandler,
    /** For pages whose scripts make changes (bull-board): the CSRF token in a cookie they can read, for `path`. */
    csrfCookie(path: string): RequestHandler {
      return (req, res, next) => {
        if (!res.locals.viaBearer && req.method === "GET") res.cookie(SCRIPT_CSRF.cookie, String(res.locals.csrf), { sameSite: "strict", secure, path });
        next();
      };
    },
    /**
     * A signed-in person: a new session in Redis, its new random id in the cookie (which lasts no longer than
     * the session may). A session this browser had before ends: each sign-in gets an id nobody held before.
     */
    async signIn(req: Request, res: Response, actor: Actor & { via: "password" | "sso" }): Promise<void> {
      const previous = cookie(req, SESSION_COOKIE);
      if (previous) await sessions.end(previous);
      res.cookie(SESSION_COOKIE, await sessions.start(actor), { ...cookieOptions, maxAge: maxMs });
    },
    /** Ends this request's session in Redis (the cookie is worthless from now on, wherever a copy is) and clears it. */
    async signOut(req: Request, res: Response): Promise<void> {
      const value = cookie(req, SESSION_COOKIE);
      if (value) await sessions.end(value);
      res.clearCookie(SESSION_COOKIE, cookieOptions);
    },
  };
}
export type StaffGuard = ReturnType<typeof staffGuard>;
