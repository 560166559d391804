import type { Redis } from "ioredis";
import { inboundMailSchema, threadMessageSchema, type InboundMail, type ThreadMessage } from "../call/mail.ts";
import { recordDurably } from "./connect.ts";
import { RETENTION_SECONDS, type RedisKeys } from "./redis.ts";
import { withScripts } from "./scripts.ts";

/**
 * The email door's storage: each inbound message once (SET NX on the digest of its Message-ID), the mark
 * that it was acted on, every incident's thread (append-once per Message-ID), and what we sent on it (each
 * send recorded once, checked before sending). Commands go straight to Redis and fail when it is away:
 * mail is acknowledged only once stored, so the sending server keeps it and retries.
 */
export class MailStore {
  private readonly redis: Redis;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.redis = withScripts(redis);
  }

  /** Stores the message unless one with its Message-ID is stored already; returns the one that stands. */
  async store(digest: string, mail: InboundMail): Promise<{ first: boolean; mail: InboundMail }> {
    const key = this.keys.mail(digest);
    const set = await this.redis.set(key, JSON.stringify(mail), "EX", RETENTION_SECONDS, "NX");
    if (set === "OK") return { first: true, mail };
    const stored = await this.redis.get(key);
    return { first: false, mail: stored ? inboundMailSchema.parse(JSON.parse(stored)) : mail };
  }

  /** What a message led to, once it was acted on: "<action> <incident id>" (no id for automatic mail). */
  async done(digest: string): Promise<string | null> {
    return this.redis.get(this.keys.mailDone(digest));
  }

  async markDone(digest: string, outcome: string): Promise<void> {
    await this.redis.set(this.keys.mailDone(digest), outcome, "EX", RETENTION_SECONDS);
  }

  /** Appends a message to the thread once per Message-ID; true the first time. */
  async append(incidentId: string, message: ThreadMessage): Promise<boolean> {
    const added = await this.redis.appendOnce(this.keys.threadSeen(incidentId), this.keys.thread(incidentId), message.messageId, JSON.stringify(message), RETENTION_SECONDS);
    await this.redis.expire(this.keys.threadSeen(incidentId), RETENTION_SECONDS);
    return added === 1;
  }

  /** The thread in order; each message we sent carries when it left (null while its job has not sent it). */
  async thread(incidentId: string): Promise<(ThreadMessage & { sentAt: string | null })[]> {
    const [raw, sent] = await Promise.all([this.redis.lrange(this.keys.thread(incidentId), 0, -1), this.redis.hgetall(this.keys.threadSent(incidentId))]);
    return raw.map((item) => {
      const message = threadMessageSchema.parse(JSON.parse(item));
      // Received mail, and the phone follow-up (put on the thread once sent), are dated by their own time.
      const dated = message.direction === "in" || message.kind === "followup";
      return { ...message, sentAt: dated ? message.at : (sent[message.messageId] ?? null) };
    });
  }

  async sentAt(incidentId: string, messageId: string): Promise<string | null> {
    return this.redis.hget(this.keys.threadSent(incidentId), messageId);
  }

  /** Records a send once: the first writer wins; durable through a failover (recordDurably). */
  async markSent(incidentId: string, messageId: string, at: string): Promise<boolean> {
    const key = this.keys.threadSent(incidentId);
    return recordDurably(this.redis, async () => {
      const first = await this.redis.hsetnx(key, messageId, at);
      await this.redis.expire(key, RETENTION_SECONDS);
      return first === 1;
    });
  }

  /** The open urgent incident of a sender (a partner, else an address), if one was recorded. */
  async openUrgent(sender: string): Promise<string | null> {
    return this.redis.get(this.keys.openUrgent(sender));
  }

  /** Claims the sender's open urgent incident: only if none is recorded, or `replacing` (a closed one) is. */
  async claimUrgent(sender: string, incidentId: string, replacing: string | null): Promise<boolean> {
    const key = this.keys.openUrgent(sender);
    if (replacing === null) return (await this.redis.set(key, incidentId, "EX", RETENTION_SECONDS, "NX")) === "OK";
    await this.redis.set(key, incidentId, "EX", RETENTION_SECONDS);
    return true;
  }
}
