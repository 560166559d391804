import type { RequestHandler } from "express";
import twilio from "twilio";

/**
 * Rejects any /voice request whose X-Twilio-Signature does not match. The URL is rebuilt from
 * PUBLIC_BASE_URL, not from Host headers: behind a proxy Twilio signed the public URL, and a forger must not
 * be able to choose the URL we check against.
 */
export function requireTwilioSignature(authTokens: readonly string[], publicBaseUrl: string): RequestHandler {
  return (req, res, next) => {
    const signature = req.header("x-twilio-signature");
    const url = `${publicBaseUrl}${req.originalUrl}`;
    const params = (req.body ?? {}) as Record<string, string>;
    // During a token rotation Twilio may sign with either the old or the new token.
    if (!signature || !authTokens.some((token) => twilio.validateRequest(token, signature, url, params))) {
      res.status(403).type("text/plain").send(signature ? "Forbidden: invalid Twilio signature" : "Forbidden: missing X-Twilio-Signature");
      return;
    }
    next();
  };
}
