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

function cookies(req: Request): Record<string, string> {
  return Object.fromEntries(
    (req.header("cookie") ?? "")
      .split(";")
      .map((part) => part.trim().split("="))
      .filter((pair) => pair.length === 2)
      .map(([name, value]) => [name!, decodeURIComponent(value!)]),
  );
}

/**
 * The console's staff session: the bearer token, or a cookie set by the login form. The cookie is HttpOnly
 * and SameSite=Strict and carries an expiry signed with a key derived from CONSOLE_TOKEN (changing the token
 * logs everybody out). Forms carry a CSRF token bound to the session, checked on every cookie-authenticated
 * POST; a bearer request carries no ambient credential and needs none.
 */
export function consoleSession(token: string, { secure }: { secure: boolean }) {
  const key = digest(`emergency-line console session:${token}`);
  const sign = (text: string) => createHmac("sha256", key).update(text).digest("base64url");

  const sessionFrom = (req: Request): string | null => {
    const value = cookies(req)[SESSION_COOKIE];
    if (!value) return null;
    const [expires, signature] = value.split(".");
    if (!expires || !signature || !sameSecret(signature, sign(expires)) || Number(expires) < Date.now()) return null;
    return value;
  };

  return {
    /** Lets staff through (bearer or session) and sets res.locals.csrf for forms; else 401 via `refuse`. */
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
        if (req.method === "POST" && !sameSecret(String(req.body?._csrf ?? ""), res.locals.csrf)) {
          res.status(403).type("text/plain").send("Forbidden: the form's CSRF token is missing or stale; reload the page");
          return;
        }
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
