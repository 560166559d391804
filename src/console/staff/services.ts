import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Config } from "../../config.ts";
import { staffGuard } from "../auth.ts";
import { AuditTrail } from "./audit.ts";
import { SingleSignOn } from "./oidc.ts";
import { StaffSessions, staffKeys } from "./sessions.ts";
import { ApiTokens } from "./tokens.ts";

type StaffConfig = Pick<
  Config,
  "REDIS_PREFIX" | "PUBLIC_BASE_URL" | "CONSOLE_TOKEN" | "staff" | "CONSOLE_IDLE_TIMEOUT_SECONDS" | "CONSOLE_SESSION_MAX_SECONDS" | "OIDC_ISSUER" | "OIDC_CLIENT_ID" | "OIDC_CLIENT_SECRET" | "OIDC_ROLE_CLAIM" | "OIDC_ROLE_MAP"
>;

/** Console people: STAFF_FILE, their sessions and API tokens, the audit trail, single sign-on when configured. */
export function createStaffServices({ config, redis, now }: { config: StaffConfig; redis: Redis; now: () => Date }) {
  const keys = staffKeys(config.REDIS_PREFIX);
  const limits = { idleMs: config.CONSOLE_IDLE_TIMEOUT_SECONDS * 1000, maxMs: config.CONSOLE_SESSION_MAX_SECONDS * 1000 };
  const sessions = new StaffSessions(redis, keys, limits, config.staff, () => now().getTime());
  const tokens = new ApiTokens(redis, keys, config.staff, now);
  const audit = new AuditTrail(redis, keys, now);
  const secure = config.PUBLIC_BASE_URL.startsWith("https:");
  const sso = config.OIDC_ISSUER
    ? new SingleSignOn(
        {
          issuer: config.OIDC_ISSUER,
          clientId: config.OIDC_CLIENT_ID!,
          clientSecret: config.OIDC_CLIENT_SECRET!,
          redirectUri: `${config.PUBLIC_BASE_URL}/console/login/sso/callback`,
          roleClaim: config.OIDC_ROLE_CLAIM,
          roleMap: config.OIDC_ROLE_MAP,
        },
        redis,
        keys,
      )
    : null;
  const guard = staffGuard({ consoleToken: config.CONSOLE_TOKEN, sessions, tokens, secure, maxMs: limits.maxMs });
  return { members: config.staff, keys, sessions, tokens, audit, sso, secure, guard, redis };
}
export type StaffServices = ReturnType<typeof createStaffServices>;

/**
 * At start-up: whoever left STAFF_FILE loses their sessions and API tokens, whoever's role changed there
 * signs in again (their tokens take the new role). Sessions and tokens are checked against the file on every
 * use anyway (so this may run while requests are served); this removes them from Redis and records it in
 * the audit trail as the line's own doing. With Redis away it waits for Redis.
 */
export async function reconcileStaff(staff: StaffServices, log: Logger): Promise<void> {
  const system = { email: "system", name: "start-up (STAFF_FILE)", role: null, via: "system" } as const;
  try {
    const ended = await staff.sessions.reconcile(staff.members);
    const { revoked, changed } = await staff.tokens.reconcile(staff.members, await staff.sessions.people());
    for (const email of ended) await staff.audit.record(system, { action: "auth.sessions-ended", target: email, after: { reason: "removed from STAFF_FILE or role changed" } });
    for (const token of revoked) await staff.audit.record(system, { action: "token.revoked", target: `${token.email} token ${token.id}`, before: { label: token.label, role: token.role }, after: null });
    for (const { token, role } of changed) await staff.audit.record(system, { action: "token.role-changed", target: `${token.email} token ${token.id}`, before: { role: token.role }, after: { role } });
    if (ended.length || revoked.length) log.info({ sessionsEnded: ended.length, tokensRevoked: revoked.length }, "staff: people no longer in STAFF_FILE (or with another role) signed out");
  } catch (error) {
    log.warn({ err: error }, "staff: could not check sessions against STAFF_FILE (Redis unavailable); will when Redis is back");
    staff.redis.once("ready", () => void reconcileStaff(staff, log));
  }
}
