import { Redis } from "ioredis";

/** How long calls, timelines and incidents are kept: long enough for any follow-up and audit of a drill. */
export const RETENTION_SECONDS = 90 * 24 * 3600;

export function connectRedis(url: string): Redis {
  // maxRetriesPerRequest: null is what BullMQ requires of a shared connection; commands wait for a reconnect.
  return new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true, lazyConnect: false });
}

/** Every key the app writes, under one prefix, so tests and drills can share a Redis without meeting. */
export function redisKeys(prefix: string) {
  return {
    call: (callSid: string) => `${prefix}call:${callSid}`,
    timeline: (callSid: string) => `${prefix}call:${callSid}:timeline`,
    calls: () => `${prefix}calls`,
    incident: (id: string) => `${prefix}incident:${id}`,
    incidents: () => `${prefix}incidents`,
    bull: () => `${prefix}bull`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;
