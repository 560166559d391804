import { createHash, timingSafeEqual } from "node:crypto";
import express, { Router, type NextFunction, type Request, type Response } from "express";
import type { Logger } from "pino";
import type { MailDesk } from "./intake.ts";
import { MailRefused } from "./parse.ts";

/** Room for a multipart form's boundaries and other fields around the message itself. */
const FORM_SLACK = 64 * 1024;

const digest = (value: string) => createHash("sha256").update(value).digest();
const same = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));

/** `Bearer <token>`, or basic auth with the token as the password and any user (as in https://x:token@host/...). */
function authorized(header: string | undefined, token: string): boolean {
  if (!header) return false;
  const [scheme, value = ""] = header.split(" ", 2);
  if (scheme?.toLowerCase() === "bearer") return same(value.trim(), token);
  if (scheme?.toLowerCase() === "basic") {
    const decoded = Buffer.from(value.trim(), "base64").toString("utf8");
    return same(decoded.slice(decoded.indexOf(":") + 1), token);
  }
  return false;
}

/**
 * `POST /email/inbound`: one raw RFC 822 message from an inbound-parse service or an MTA hook, as the body
 * (`message/rfc822`) or the `email` field of a multipart form. The token is checked before the body is
 * read; 202 only once the message is stored; 413 over INBOUND_MAX_BYTES; 503 while storage is away (the
 * service retries). See docs/architecture.md, "The email door".
 */
export function inboundMailRoutes(deps: { token: string | undefined; maxBytes: number; desk: MailDesk; log: Logger }): Router {
  const { token, maxBytes, desk, log } = deps;
  const router = Router();
  const tooBig = (res: Response) => res.status(413).json({ error: `message too large: the limit is ${maxBytes} bytes (INBOUND_MAX_BYTES)` });

  router.post(
    "/inbound",
    (req: Request, res: Response, next: NextFunction) => {
      if (!token) return void res.status(404).json({ error: "inbound email over HTTP is off: INBOUND_EMAIL_TOKEN is not set" });
      if (!authorized(req.headers.authorization, token)) {
        return void res.status(401).set("WWW-Authenticate", 'Basic realm="inbound-email", Bearer').json({ error: "authentication required: Bearer INBOUND_EMAIL_TOKEN, or basic auth with it as the password" });
      }
      if (Number(req.headers["content-length"] ?? 0) > maxBytes + FORM_SLACK) return void tooBig(res);
      next();
    },
    express.raw({ type: () => true, limit: maxBytes + FORM_SLACK }),
    async (req: Request, res: Response) => {
      const type = String(req.headers["content-type"] ?? "").toLowerCase();
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      let raw: Buffer;
      if (type.startsWith("message/rfc822")) {
        raw = body;
      } else if (type.startsWith("multipart/form-data")) {
        let field: FormDataEntryValue | null;
        try {
          field = (await new Response(new Blob([new Uint8Array(body)]), { headers: { "content-type": type } }).formData()).get("email");
        } catch (error) {
          return void res.status(400).json({ error: `not a readable multipart form: ${(error as Error).message}` });
        }
        if (field === null) return void res.status(400).json({ error: "the form has no `email` field (the raw message)" });
        raw = typeof field === "string" ? Buffer.from(field, "utf8") : Buffer.from(await field.arrayBuffer());
      } else {
        return void res.status(415).json({ error: "send one raw message as message/rfc822, or as the `email` field of multipart/form-data" });
      }
      if (raw.length > maxBytes) return void tooBig(res);
      try {
        const result = await desk.receive(raw, { via: "http", from: null });
        res.status(202).json({ stored: true, ...result });
      } catch (error) {
        if (error instanceof MailRefused) return void res.status(400).json({ error: error.message });
        log.warn({ err: error }, "inbound email not stored; the poster is told to retry");
        res.status(503).set("Retry-After", "60").json({ error: "cannot store the message right now; retry later" });
      }
    },
  );
  // The body parser's own refusals: over the limit, or a body that ended early.
  router.use((error: { type?: string; status?: number; message?: string }, _req: Request, res: Response, next: NextFunction) => {
    if (error.type === "entity.too.large") return void tooBig(res);
    if (error.status && error.status < 500) return void res.status(error.status).json({ error: error.message ?? "bad request" });
    next(error);
  });
  return router;
}
