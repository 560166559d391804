import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";

/** Bearer CONSOLE_TOKEN, compared in constant time (hashing first makes the lengths equal). */
export function requireBearer(token: string): RequestHandler {
  const expected = createHash("sha256").update(token).digest();
  return (req, res, next) => {
    const header = req.header("authorization") ?? "";
    const match = /^Bearer (.+)$/.exec(header);
    const given = createHash("sha256").update(match?.[1] ?? "").digest();
    if (!match || !timingSafeEqual(given, expected)) {
      res.status(401).set("WWW-Authenticate", 'Bearer realm="emergency-line"').json({ error: "unauthorized: send Authorization: Bearer <CONSOLE_TOKEN>" });
      return;
    }
    next();
  };
}
