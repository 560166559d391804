import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { Request, RequestHandler, Response } from "express";

const SESSION_COOKIE = "el_session";
const SESSION_HOURS = 12;

const digest = (text: string) => createHash("sha256").update(text).digest();
/** Constant-time comparison; hashing first makes the lengths equal. */
export const sameSecret = (given: string, expected: string) => timingSafeEqual(digest(given), digest(expected));

/** Bearer CONSOLE_TOKEN, for the JSON API and tools. */
export function requireBearer(token: string): RequestHandler {
  return (req, res, next) => {
    if (bearerOk(req, token)) return next();
    res.status(401).set("WWW-Authenticate", 'Bearer realm="emergency-line"').json({ error: "unauthorized: send Authorization: Bearer <CONSOLE_TOKEN>" });
  };
}

function bearerOk(req: Request, token: string): boolean {
  const match = /^Bearer (.+)$/.exec(req.header("authorization") ?? "");
  return Boolean(match && sameSecret(match[1]!, token));
}

/** One cookie's value; a value that is not valid %-encoding counts as absent (it is not one we set). */
function cookie(req: Request, name: string): string | undefined {
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

/**
 * The console's staff session: the bearer token, or a cookie set by the login form. The cookie is HttpOnly
 * and SameSite=Strict and carries an expiry signed with a key derived from CONSOLE_TOKEN (changing the token
 * logs everybody out). Every cookie-authenticated request other than GET, HEAD and OPTIONS carries a CSRF
 * token bound to the session: a form field (_csrf) or, from scripts, a header (SCRIPT_CSRF). A bearer
 * request carries no ambient credential and needs none.
 */
export function consoleSession(token: string, { secure }: { secure: boolean }) {
  const key = digest(`emergency-line console session:${token}`);
  const sign = (text: string) => createHmac("sha256", key).update(text).digest("base64url");

  const sessionFrom = (req: Request): string | null => {
    const value = cookie(req, SESSION_COOKIE);
    if (!value) return null;
    const [expires, signature] = value.split(".");
    if (!expires || !signature || !sameSecret(signature, sign(expires)) || Number(expires) < Date.now()) return null;
    return value;
  };

  return {
    /**
     * Lets staff through (bearer or session) and sets res.locals.csrf for forms; else 401 via `refuse`. It
     * reads no body, so it can run before the body is parsed; `checkCsrf` runs after.
     */
    require(refuse: (req: Request, res: Response) => void): RequestHandler {
      return (req, res, next) => {
        if (bearerOk(req, token)) {
          res.locals.viaBearer = true;
          res.locals.csrf = "";
          return next();
        }
        const session = sessionFrom(req);
        if (!session) return refuse(req, res);
        res.locals.csrf = sign(`csrf:${session}`);
        next();
      };
    },
    /** After `require` and body parsing: a cookie-authenticated change without its CSRF token gets 403. */
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
    login(res: Response, given: string): boolean {
      if (!sameSecret(given, token)) return false;
      const expires = String(Date.now() + SESSION_HOURS * 3600_000);
      res.cookie(SESSION_COOKIE, `${expires}.${sign(expires)}`, { httpOnly: true, sameSite: "strict", secure, path: "/", maxAge: SESSION_HOURS * 3600_000 });
      return true;
    },
    logout(res: Response): void {
      res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: "strict", secure, path: "/" });
    },
  };
}
export type ConsoleSession = ReturnType<typeof consoleSession>;
