import { randomBytes, timingSafeEqual } from "node:crypto";
import type { Redis } from "ioredis";
import { z } from "zod";
import { roleSchema, type Actor, type Role, type StaffMember } from "../../call/staff.ts";
import { digestOf, type StaffKeys } from "./sessions.ts";

const tokenSchema = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: roleSchema,
  /** How the person signed in when they issued it: only STAFF_FILE people are checked against the file at start-up. */
  source: z.enum(["password", "sso"]),
  label: z.string(),
  createdAt: z.string(),
  digest: z.string(),
});
export type ApiToken = Omit<z.infer<typeof tokenSchema>, "digest">;

/** `elt_<id>_<secret>`: the id finds the record (and names the token on pages), the secret proves it. */
const TOKEN = /^elt_([0-9a-f]{16})_([\w-]{32,})$/;

/**
 * Personal API tokens: a bearer for /api (and the console) that acts as its person, with their role. Shown
 * once when issued; Redis keeps only the secret's digest. Revoked by the person or an admin, at once.
 */
export class ApiTokens {
  private readonly members: Map<string, StaffMember>;

  constructor(
    private readonly redis: Redis,
    private readonly keys: StaffKeys,
    /** STAFF_FILE as this process read it: the token of someone it lists acts with the role it gives them now. */
    members: StaffMember[],
    private readonly now: () => Date = () => new Date(),
  ) {
    this.members = new Map(members.map((member) => [member.email, member]));
  }

  static looksLikeOne(bearer: string): boolean {
    return TOKEN.test(bearer);
  }

  async issue(owner: Actor & { via: "password" | "sso" }, label: string): Promise<{ token: string; record: ApiToken }> {
    const id = randomBytes(8).toString("hex");
    const secret = randomBytes(32).toString("base64url");
    const record: ApiToken = { id, email: owner.email, name: owner.name, role: owner.role, source: owner.via, label, createdAt: this.now().toISOString() };
    await this.redis
      .multi()
      .hset(this.keys.token(id), { ...record, digest: digestOf(secret) })
      .sadd(this.keys.tokensOf(owner.email), id)
      .sadd(this.keys.people(), owner.email)
      .exec();
    return { token: `elt_${id}_${secret}`, record };
  }

  /** The person a bearer token acts as, or null (unknown, revoked, or a wrong secret). */
  async verify(bearer: string): Promise<(Actor & { tokenId: string }) | null> {
    const match = TOKEN.exec(bearer);
    if (!match) return null;
    const stored = tokenSchema.safeParse(await this.redis.hgetall(this.keys.token(match[1]!)));
    if (!stored.success) return null;
    const expected = Buffer.from(stored.data.digest, "hex");
    const given = Buffer.from(digestOf(match[2]!), "hex");
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null;
    let { role } = stored.data;
    if (stored.data.source === "password") {
      const member = this.members.get(stored.data.email);
      if (!member) return null;
      role = member.role;
    }
    return { email: stored.data.email, name: stored.data.name, role, via: "api-token", tokenId: stored.data.id };
  }

  async of(email: string): Promise<ApiToken[]> {
    const ids = await this.redis.smembers(this.keys.tokensOf(email));
    const tokens = await Promise.all(ids.map((id) => this.get(id)));
    return tokens.filter((t): t is ApiToken => t !== null).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async get(id: string): Promise<ApiToken | null> {
    const stored = tokenSchema.safeParse(await this.redis.hgetall(this.keys.token(id)));
    if (!stored.success) return null;
    const { digest: _digest, ...record } = stored.data;
    return record;
  }

  async revoke(id: string): Promise<ApiToken | null> {
    const token = await this.get(id);
    if (token) await this.redis.multi().del(this.keys.token(id)).srem(this.keys.tokensOf(token.email), id).exec();
    return token;
  }

  /**
   * At start-up: tokens of people removed from STAFF_FILE are revoked; a changed role there is the token's
   * role from now on (automation keeps working, with the rights its person now has).
   */
  async reconcile(staff: StaffMember[], people: string[]): Promise<{ revoked: ApiToken[]; changed: { token: ApiToken; role: Role }[] }> {
    const byEmail = new Map(staff.map((member) => [member.email, member]));
    const revoked: ApiToken[] = [];
    const changed: { token: ApiToken; role: Role }[] = [];
    for (const email of people) {
      for (const token of await this.of(email)) {
        if (token.source !== "password") continue;
        const member = byEmail.get(email);
        if (!member) {
          await this.revoke(token.id);
          revoked.push(token);
        } else if (member.role !== token.role) {
          await this.redis.hset(this.keys.token(token.id), "role", member.role);
          changed.push({ token, role: member.role });
        }
      }
    }
    return { revoked, changed };
  }
}
