import type { Redis } from "ioredis";
import { z } from "zod";
import { recordDurably } from "./connect.ts";
import type { RedisKeys } from "./redis.ts";
import { withScripts } from "./scripts.ts";

/**
 * What the follow-up pipeline did for an incident, kept on the incident's own hash so the staff API and
 * the console read one place. Fields are namespaced by step: `email:state`, `mobilise:sentAt`, `case:state`.
 */
export const deliverySchema = z.object({
  state: z.enum(["queued", "sent", "failed", "skipped"]).default("queued"),
  sentAt: z.string().optional(),
  to: z.string().optional(),
  recipientSource: z.enum(["transcription", "partner-directory", "support-inbox"]).optional(),
  subject: z.string().optional(),
  text: z.string().optional(),
  messageId: z.string().optional(),
  target: z.string().optional(),
  httpStatus: z.coerce.number().optional(),
  attempts: z.coerce.number().optional(),
  error: z.string().optional(),
  reason: z.string().optional(),
  lateContact: z.string().optional(),
});
export type Delivery = z.infer<typeof deliverySchema>;

export const caseSchema = z.object({
  state: z.enum(["open", "awaiting-reply", "partner-replied", "closed"]).default("open"),
  closesAt: z.string().optional(),
  /** The staff reply whose send started this hold: a retried send job never restarts it twice. */
  holdFor: z.string().optional(),
  repliedAt: z.string().optional(),
  closedAt: z.string().optional(),
  reopenedAt: z.string().optional(),
  /** Who on staff owns the case (their email and name), set from the console's case actions. */
  owner: z.string().optional(),
  ownerName: z.string().optional(),
  closedBy: z.string().optional(),
  generation: z.coerce.number().int().default(0),
});
export type CaseState = z.infer<typeof caseSchema>;

const PAGING_FAILURES_KEPT_MS = 24 * 3600 * 1000;

/** The deliveries of the follow-up, each recorded once on the incident (drillReport: a drill's report to its partner). */
export type DeliveryKind = "email" | "mobilise" | "drillReport";

export class FollowupState {
  private readonly redis: Redis;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.redis = withScripts(redis);
  }

  async read(incidentId: string): Promise<{ email: Delivery; mobilise: Delivery; drillReport: Delivery; case: CaseState }> {
    const hash = await this.redis.hgetall(this.keys.incident(incidentId));
    const section = (name: string) =>
      Object.fromEntries(Object.entries(hash).filter(([key]) => key.startsWith(`${name}:`)).map(([key, value]) => [key.slice(name.length + 1), value]));
    return {
      email: deliverySchema.parse(section("email")),
      mobilise: deliverySchema.parse(section("mobilise")),
      drillReport: deliverySchema.parse(section("drillReport")),
      case: caseSchema.parse(section("case")),
    };
  }

  async write(incidentId: string, section: DeliveryKind | "case", fields: Record<string, string | number>): Promise<void> {
    await this.redis.hset(this.keys.incident(incidentId), prefixed(section, fields));
  }

  /**
   * Records a send exactly once: the first writer wins, and a retried job sees it already done. The marker
   * and what was sent (to, subject…) are one step, so nobody reads "sent" without its recipient.
   */
  async markSent(incidentId: string, step: DeliveryKind, fields: Record<string, string | number>): Promise<boolean> {
    const sentAt = String(fields.sentAt ?? new Date().toISOString());
    const rest = prefixed(step, { ...fields, state: "sent" });
    delete rest[`${step}:sentAt`];
    return recordDurably(this.redis, async () => (await this.redis.setOnce(this.keys.incident(incidentId), `${step}:sentAt`, sentAt, ...Object.entries(rest).flat())) === 1);
  }

  /**
   * Paging for a real incident finally failed: kept for a day, or until its page goes out after all (staff
   * retry the job), so the console and /readyz can say that paging is failing.
   */
  async pagingFailed(incidentId: string, at: Date): Promise<void> {
    const key = this.keys.pagingFailures();
    await this.redis.multi().zadd(key, at.getTime(), incidentId).zremrangebyscore(key, "-inf", at.getTime() - PAGING_FAILURES_KEPT_MS).pexpire(key, PAGING_FAILURES_KEPT_MS).exec();
  }

  async pagingSent(incidentId: string): Promise<void> {
    await this.redis.zrem(this.keys.pagingFailures(), incidentId);
  }

  /** Incidents whose paging failed in the last day, oldest first. */
  async pagingFailures(now: Date): Promise<string[]> {
    return this.redis.zrangebyscore(this.keys.pagingFailures(), now.getTime() - PAGING_FAILURES_KEPT_MS, "+inf");
  }

  /** Moves the case to `to` only if it is in one of `from`, atomically; returns whether it moved. A field given as "" is removed. */
  async transitionCase(incidentId: string, from: CaseState["state"][], to: CaseState["state"], fields: Record<string, string> = {}): Promise<boolean> {
    const pairs = Object.entries(fields).flatMap(([key, value]) => [`case:${key}`, value]);
    return (await this.redis.transitionCase(this.keys.incident(incidentId), to, from.length, ...from, ...pairs)) === 1;
  }
}

function prefixed(section: string, fields: Record<string, string | number>): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [`${section}:${key}`, String(value)]));
}
