import { Cluster, Redis, ReplyError, type ClusterOptions, type RedisOptions } from "ioredis";
import type { Config } from "../config.ts";

/** Where Redis is: Cluster seeds, else Sentinels, else one URL (docs/architecture.md, "Configuration"). */
export type RedisTarget = Pick<Config, "REDIS_URL" | "REDIS_CLUSTER_NODES" | "REDIS_SENTINELS" | "REDIS_SENTINEL_MASTER">;

export type RedisMode = "cluster" | "sentinel" | "single";

export function redisMode(target: RedisTarget): RedisMode {
  if (target.REDIS_CLUSTER_NODES.length) return "cluster";
  return target.REDIS_SENTINELS.length ? "sentinel" : "single";
}

/** A bare URL (tools, benchmarks) is a single Redis. */
export function asTarget(target: RedisTarget | string): RedisTarget {
  if (typeof target !== "string") return target;
  return { REDIS_URL: target, REDIS_CLUSTER_NODES: [], REDIS_SENTINELS: [], REDIS_SENTINEL_MASTER: "mymaster" };
}

/**
 * Opens a connection with the given options, in whichever mode the target names. Each caller's options (the
 * webhooks' fail-fast ones, the workers' patient ones) hold in every mode.
 *
 * A Cluster is handed out under the `Redis` type: both are ioredis Commanders with the same commands, MULTI,
 * pipelines, defineCommand (scripts go out as EVALSHA to the slot's master), `status` and events, which is all
 * the stores use. Where the two differ (SCAN sees one node) `isCluster` tells them apart.
 */
export function connect(target: RedisTarget, options: RedisOptions, clusterOptions: Pick<ClusterOptions, "maxRedirections"> = {}): Redis {
  const { enableOfflineQueue, ...nodeOptions } = options;
  switch (redisMode(target)) {
    case "cluster": {
      // Seeds may include replicas and dead nodes: ioredis discovers the masters from any that answers.
      const cluster = new Cluster(target.REDIS_CLUSTER_NODES, { ...clusterOptions, redisOptions: nodeOptions, enableOfflineQueue, enableReadyCheck: true });
      return cluster as unknown as Redis;
    }
    case "sentinel":
      return new Redis({
        ...options,
        sentinels: target.REDIS_SENTINELS,
        name: target.REDIS_SENTINEL_MASTER,
        // On +switch-master, reconnect to the new master at once: a failover Sentinel forced leaves the old
        // master taking writes (which its demotion then discards) until Sentinel reconfigures it, seconds later.
        failoverDetector: true,
        // A write that reaches a demoted master: reconnect, asking the Sentinels where the master is now.
        reconnectOnError: (error) => error.message.startsWith("READONLY"),
      });
    case "single":
      return new Redis(target.REDIS_URL, options);
  }
}

/** How long a record waits for a replica each time, and how many times it is written. */
const REPLICATION_WAIT_MS = 1000;
const REPLICATION_TRIES = 5;

/**
 * Writes a first-wins record that must outlive a failover: a send's record, which is what stops a retried job
 * sending again. Behind Sentinel a failover promotes a replica that may not hold the last writes the old
 * master acknowledged (the job's completion is lost with them), so the record is written again until a
 * replica has it (WAIT), a few times at most; where it survived, writing it again changes nothing. A single
 * Redis has no replica to wait for; on Cluster, WAIT goes to no particular master: neither waits. Returns
 * whether any of the writes was the first.
 */
export async function recordDurably(redis: Redis, write: () => Promise<boolean>): Promise<boolean> {
  let first = await write();
  for (let tries = 1; tries < REPLICATION_TRIES && !(await replicated(redis)); tries++) first = (await write()) || first;
  return first;
}

async function replicated(redis: Redis): Promise<boolean> {
  if (!redis.options?.sentinels?.length) return true;
  const replicas = await redis.call("WAIT", 1, REPLICATION_WAIT_MS).catch(() => 0);
  return Number(replicas) >= 1;
}

export function isCluster(redis: Redis): boolean {
  return (redis as { isCluster?: boolean }).isCluster === true;
}

/** The connections whose keyspaces together hold every key: each master of a Cluster, else the one server. */
export function keyspaces(redis: Redis): Redis[] {
  return isCluster(redis) ? (redis as unknown as Cluster).nodes("master") : [redis];
}

/** Replies that mean "not now" (a failover, a cluster settling, a server loading), not "never". */
const TRANSIENT_REPLY = /^(CLUSTERDOWN|TRYAGAIN|MOVED|ASK|LOADING|READONLY|MASTERDOWN|NOREPLICAS|BUSY)\b/;

/** Faults of our own code: replaying them later cannot help. */
const PROGRAM_FAULTS = [TypeError, RangeError, ReferenceError, SyntaxError];

/**
 * Whether a write failed because Redis was out of reach (try again later) rather than because Redis or our
 * own code refused it. A Cluster stays `ready` while one of its masters fails over, so the connection's
 * status alone cannot tell: the error must. Connection errors, timeouts and "too many redirections" are
 * outages; so is a reply that says the server cannot take the command yet.
 */
export function isUnavailable(error: unknown): boolean {
  if (PROGRAM_FAULTS.some((fault) => error instanceof fault)) return false;
  if (!(error instanceof ReplyError)) return true;
  const { message, previousErrors } = error as { message: string; previousErrors?: unknown[] };
  // EXEC refused a transaction because of a queued command's error: the transaction fails the way that one did.
  if (message.startsWith("EXECABORT")) return (previousErrors ?? []).some((previous) => isUnavailable(previous));
  return TRANSIENT_REPLY.test(message);
}
