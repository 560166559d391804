import twilio from "twilio";
import type { Fields } from "./webhook.ts";

/**
 * Why a /voice request's X-Twilio-Signature is refused, or null when it matches. The URL is rebuilt from
 * PUBLIC_BASE_URL, not from Host headers: behind a proxy Twilio signed the public URL, and a forger must not
 * be able to choose the URL we check against.
 */
export function signatureCheck(authTokens: readonly string[], publicBaseUrl: string) {
  return (signature: string | string[] | undefined, requestedUrl: string, params: Fields): string | null => {
    if (typeof signature !== "string" || signature.length === 0) return "Forbidden: missing X-Twilio-Signature";
    const url = `${publicBaseUrl}${requestedUrl}`;
    // During a token rotation Twilio may sign with either the old or the new token.
    return authTokens.some((token) => twilio.validateRequest(token, signature, url, params as Record<string, string>)) ? null : "Forbidden: invalid Twilio signature";
  };
}
