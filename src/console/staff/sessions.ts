import { createHash, randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import { roleSchema, type Actor, type StaffMember } from "../../call/staff.ts";

/** A key that holds a secret's digest, never the secret: a copy of Redis gives nobody a working cookie or token. */
export const digestOf = (secret: string) => createHash("sha256").update(secret).digest("hex");

const sessionSchema = z.object({
  email: z.string(),
  name: z.string(),
  role: roleSchema,
  via: z.enum(["password", "sso"]),
  createdAt: z.coerce.number(),
  lastSeenAt: z.coerce.number(),
  expiresAt: z.coerce.number(),
});
export type StaffSession = z.infer<typeof sessionSchema> & { id: string };

/** The keys of people's sessions and API tokens, under REDIS_PREFIX (docs/architecture.md, "Records"). */
export function staffKeys(prefix: string) {
  return {
    session: (id: string) => `${prefix}staff:session:${id}`,
    sessionsOf: (email: string) => `${prefix}staff:person:${email}:sessions`,
    token: (id: string) => `${prefix}staff:token:${id}`,
    tokensOf: (email: string) => `${prefix}staff:person:${email}:tokens`,
    /** Everyone who has had a session or a token: what start-up and the staff page go through. */
    people: () => `${prefix}staff:people`,
    sso: (key: string) => `${prefix}staff:sso:${key}`,
    audit: () => `${prefix}audit`,
    loginFailures: (by: "email" | "ip") => `${prefix}login-failures:${by}`,
  };
}
export type StaffKeys = ReturnType<typeof staffKeys>;

/**
 * Console sessions, server-side in Redis: the cookie holds a random id, Redis its digest and who it is. A
 * session ends when it has been idle for `idleMs`, when `maxMs` have passed since sign-in, at sign-out, or
 * when an admin signs the person out everywhere; each ends at once, for every instance of the line.
 */
export class StaffSessions {
  private readonly members: Map<string, StaffMember>;

  constructor(
    private readonly redis: Redis,
    private readonly keys: StaffKeys,
    private readonly limits: { idleMs: number; maxMs: number },
    /** STAFF_FILE as this process read it: a password session of someone it no longer lists (as listed) is over. */
    members: StaffMember[],
    private readonly now: () => number = Date.now,
  ) {
    this.members = new Map(members.map((member) => [member.email, member]));
  }

  /** A new session; returns the cookie value (shown to nobody else, stored only as a digest). */
  async start(actor: Actor & { via: "password" | "sso" }): Promise<string> {
    const cookie = randomBytes(32).toString("base64url");
    const id = digestOf(cookie);
    const now = this.now();
    const session = { email: actor.email, name: actor.name, role: actor.role, via: actor.via, createdAt: now, lastSeenAt: now, expiresAt: now + this.limits.maxMs };
    await this.redis
      .multi()
      .hset(this.keys.session(id), session)
      .pexpire(this.keys.session(id), Math.min(this.limits.idleMs, this.limits.maxMs))
      .sadd(this.keys.sessionsOf(actor.email), id)
      .sadd(this.keys.people(), actor.email)
      .exec();
    return cookie;
  }

  /** The live session behind a cookie, its idle clock restarted; null when it is unknown, idle too long or too old. */
  async resume(cookie: string): Promise<StaffSession | null> {
    const id = digestOf(cookie);
    const session = await this.read(id);
    if (!session) return null;
    const now = this.now();
    const unlisted = session.via === "password" && this.members.get(session.email)?.role !== session.role;
    if (unlisted || now - session.lastSeenAt >= this.limits.idleMs || now >= session.expiresAt) {
      await this.endById(id, session.email);
      return null;
    }
    await this.redis
      .multi()
      .hset(this.keys.session(id), "lastSeenAt", now)
      .pexpire(this.keys.session(id), Math.min(this.limits.idleMs, session.expiresAt - now))
      .exec();
    return { ...session, lastSeenAt: now };
  }

  async end(cookie: string): Promise<StaffSession | null> {
    const id = digestOf(cookie);
    const session = await this.read(id);
    if (session) await this.endById(id, session.email);
    return session;
  }

  /** Every live session of a person, oldest first (expired ones are dropped from their index on the way). */
  async of(email: string): Promise<StaffSession[]> {
    const ids = await this.redis.smembers(this.keys.sessionsOf(email));
    const sessions = await Promise.all(ids.map((id) => this.read(id)));
    const gone = ids.filter((_id, i) => !sessions[i]);
    if (gone.length) await this.redis.srem(this.keys.sessionsOf(email), ...gone);
    return sessions.filter((s): s is StaffSession => s !== null).sort((a, b) => a.createdAt - b.createdAt);
  }

  /** Sign out everywhere: ends all of a person's sessions; returns how many were live. */
  async endAllOf(email: string): Promise<number> {
    const live = await this.of(email);
    const ids = await this.redis.smembers(this.keys.sessionsOf(email));
    await this.redis.del(...ids.map((id) => this.keys.session(id)), this.keys.sessionsOf(email));
    return live.length;
  }

  async people(): Promise<string[]> {
    return (await this.redis.smembers(this.keys.people())).sort();
  }

  /**
   * At start-up: password sessions of people no longer in STAFF_FILE, or whose role there changed, end (they
   * sign in again, with the role the file now gives). Single sign-on sessions are the provider's to judge.
   */
  async reconcile(staff: StaffMember[]): Promise<string[]> {
    const byEmail = new Map(staff.map((member) => [member.email, member]));
    const ended: string[] = [];
    for (const email of await this.people()) {
      for (const session of await this.of(email)) {
        if (session.via !== "password" || byEmail.get(email)?.role === session.role) continue;
        await this.endById(session.id, email);
        ended.push(email);
      }
    }
    return [...new Set(ended)];
  }

  private async read(id: string): Promise<StaffSession | null> {
    const hash = await this.redis.hgetall(this.keys.session(id));
    const parsed = sessionSchema.safeParse(hash);
    return parsed.success ? { ...parsed.data, id } : null;
  }

  private async endById(id: string, email: string): Promise<void> {
    await this.redis.multi().del(this.keys.session(id)).srem(this.keys.sessionsOf(email), id).exec();
  }
}
