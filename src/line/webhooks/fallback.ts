import { z } from "zod";
import { timeline as events } from "../../call/timeline-events.ts";
import type { LineContext } from "../context.ts";
import { callParams } from "../params.ts";
import type { Fields, TwimlWebhook, Webhook } from "../webhook.ts";

const fallbackParams = callParams.extend({ ErrorCode: z.string().max(10).optional(), ErrorUrl: z.string().max(2000).optional() });

/**
 * POST /voice/fallback: the number's Fallback URL. When a webhook timed out (Twilio's error 11205) or failed,
 * Twilio requests this with the same parameters plus ErrorCode and ErrorUrl. The call resumes where it was: the
 * webhook ErrorUrl names is run again (every write is idempotent), so the caller is not greeted and sent to
 * engineer 1 again. Without a usable ErrorUrl, the call resumes from the stage its session records.
 */
export function fallbackWebhook(line: LineContext, webhooks: ReadonlyMap<string, TwimlWebhook>, resume: Webhook): Webhook {
  const base = new URL(line.deps.config.PUBLIC_BASE_URL);
  return async (req) => {
    const parsed = fallbackParams.safeParse(req.body);
    const errorUrl = parsed.success && parsed.data.ErrorUrl ? safeUrl(parsed.data.ErrorUrl) : null;
    // Only our own URLs: ErrorUrl is signed along with the rest, but nothing is to be followed elsewhere.
    const path = errorUrl && errorUrl.origin === base.origin && errorUrl.pathname.startsWith(base.pathname.replace(/\/$/, "")) ? errorUrl.pathname.slice(base.pathname.replace(/\/$/, "").length) : null;
    const handler = path ? webhooks.get(path) : undefined;
    if (parsed.success) {
      line.deps.log.warn({ errorCode: parsed.data.ErrorCode, path }, "Twilio used the fallback URL");
      const event = events.fallback(line.stamp(), parsed.data.ErrorCode ?? "unknown", path ?? "unknown");
      await line.deps.timeline.append(parsed.data.CallSid, event).catch(() => false);
    }
    const query: Fields = errorUrl ? Object.fromEntries(errorUrl.searchParams) : {};
    // Twilio promises ErrorCode and ErrorUrl; a webhook whose own parameters (a Dial action's results) are not
    // here, even in what a deadline redirect carried, is not re-run: the call resumes from its session instead.
    if (!handler || !handler.accepts({ ...query, ...req.body })) return resume(req);
    // The failed request's own query (level, parent...) comes from ErrorUrl; the body is as Twilio sent it.
    return handler({ ...req, query });
  };
}

/** Where a call stands, from its session: the TwiML that carries it on from there. */
export function resumeWebhook(line: LineContext) {
  const { sessions } = line.deps;
  return line.route({
    body: callParams,
    answer: async (p) => {
      const call = await sessions.get(p.CallSid);
      return call ? line.resume(call) : line.dialFallback(p, 1, "hold");
    },
    fallback: (p) => line.dialFallback(p, 1, "hold"),
  });
}

function safeUrl(text: string): URL | null {
  try {
    return new URL(text);
  } catch {
    return null;
  }
}
