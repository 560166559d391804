import { execFile, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer, type AddressInfo } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { waitFor } from "../../src/simulator/wait.ts";
import { freePort } from "./processes.ts";

/**
 * Real redis-server processes for the Cluster and Sentinel tests, on ports of their own (never 6379), in a
 * temporary folder. Every process is killed and every folder removed by `stop()`, and by an exit hook should
 * the test process end without calling it.
 */

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
process.once("exit", () => {
  for (const child of children) child.kill("SIGKILL");
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** One command to the server on `port`, on a connection of its own that gives up at once if nobody answers. */
export async function ask(port: number, ...args: (string | number)[]): Promise<unknown> {
  const probe = new Redis(port, "127.0.0.1", { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, commandTimeout: 2000 });
  probe.on("error", () => {});
  try {
    await probe.connect();
    return await probe.call(String(args[0]), ...args.slice(1).map(String));
  } finally {
    probe.disconnect();
  }
}
/** Whether the server answering on `port` is the process `pid` (another test may have taken the port first). */
const answers = (port: number, pid: number | undefined) => ask(port, "INFO", "server").then((info) => String(info).includes(`process_id:${pid}\r`), () => false);

/** Ports free at once (held together while chosen, so no two are the same). */
async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer().listen(0, "127.0.0.1"));
  await Promise.all(servers.map((server) => once(server, "listening")));
  const ports = servers.map((server) => (server.address() as AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

interface Server {
  port: number;
  child: ChildProcess;
}

/** Starts redis-server with these arguments on a free port (retried on another if taken first). */
async function startServer(args: (port: number) => string[], port?: number): Promise<Server> {
  for (let tries = 1; ; tries++) {
    port ??= await freePort();
    const child = spawn("redis-server", args(port), { stdio: "ignore" });
    children.add(child);
    child.once("exit", () => children.delete(child));
    await waitFor(async () => child.exitCode !== null || (await answers(port!, child.pid)), `redis-server on port ${port}`);
    if (child.exitCode === null) return { port, child };
    if (tries === 5) throw new Error(`redis-server could not start: ${args(port).join(" ")}`);
    port = undefined;
  }
}

async function kill(server: Server, signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = once(server.child, "exit");
  server.child.kill(signal);
  await exited;
}

function tempDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `el-${name}-`));
  dirs.add(dir);
  return dir;
}

async function stopAll(servers: Server[], dir: string): Promise<void> {
  await Promise.all(servers.map((server) => kill(server)));
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

export interface ClusterNode {
  id: string;
  port: number;
  master: boolean;
  failed: boolean;
  masterId: string | null;
  slots: [number, number][];
}

/** `CLUSTER NODES` as seen from `port`. */
async function clusterNodes(port: number): Promise<ClusterNode[]> {
  const text = String(await ask(port, "CLUSTER", "NODES"));
  return text
    .trim()
    .split("\n")
    .map((line) => {
      const [id, address, flags, masterId, , , , , ...slots] = line.split(" ");
      return {
        id: id!,
        port: Number(address!.split("@")[0]!.split(":").at(-1)),
        master: flags!.split(",").includes("master"),
        failed: /fail/.test(flags!),
        masterId: masterId === "-" ? null : masterId!,
        slots: slots.filter((slot) => /^\d/.test(slot)).map((slot) => slot.split("-").map(Number) as [number, number]).map(([from, to]) => [from, to ?? from]),
      };
    });
}

/**
 * A Redis Cluster of `masters` masters with one replica each. The node timeout is short (1.5 s), so a killed
 * master is replaced within a few seconds, as a test can wait for.
 */
export async function startRedisCluster(masters = 3) {
  const dir = tempDir("cluster");
  // Each node's cluster bus gets a port of its own too (by default it is the port + 10000, maybe taken or invalid).
  const free = await freePorts(masters * 4);
  const servers = await Promise.all(
    Array.from({ length: masters * 2 }, (_, i) =>
      startServer((port) => [
        "--port", String(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes", "--cluster-port", String(free[masters * 2 + i]),
        "--cluster-config-file", `nodes-${port}.conf`, "--cluster-node-timeout", "1500", "--save", "", "--appendonly", "no", "--dir", dir,
      ], free[i]),
    ),
  );
  const ports = servers.map((server) => server.port);
  await promisify(execFile)("redis-cli", ["--cluster", "create", ...ports.map((port) => `127.0.0.1:${port}`), "--cluster-replicas", "1", "--cluster-yes"]);
  const live = () => servers.filter((server) => server.child.exitCode === null && server.child.signalCode === null);
  const settled = async () => {
    for (const server of live()) {
      if (!String(await ask(server.port, "CLUSTER", "INFO")).includes("cluster_state:ok")) return false;
      const info = String(await ask(server.port, "INFO", "replication"));
      if (info.includes("role:slave") && !info.includes("master_link_status:up")) return false;
    }
    return true;
  };
  await waitFor(settled, "the cluster to agree on its slots and replicas", 15_000);

  const slotOf = async (key: string) => Number(await ask(ports[0]!, "CLUSTER", "KEYSLOT", key));
  const masterOf = async (slot: number): Promise<ClusterNode | undefined> => {
    const nodes = await clusterNodes(live()[0]!.port);
    return nodes.find((node) => node.master && !node.failed && node.slots.some(([from, to]) => slot >= from && slot <= to));
  };
  return {
    /** Comma separated seeds, as REDIS_CLUSTER_NODES takes them. */
    seeds: ports.map((port) => `127.0.0.1:${port}`).join(","),
    ports,
    slotOf,
    masterOf,
    async replicaOf(master: ClusterNode): Promise<ClusterNode> {
      const nodes = await clusterNodes(master.port);
      return nodes.find((node) => node.masterId === master.id)!;
    },
    /** Kills a node outright (SIGKILL), as a crashed machine. */
    async kill(port: number) {
      await kill(servers.find((server) => server.port === port)!);
    },
    /** Waits until a live node other than `formerPort` is master of `slot`, and the cluster is whole again. */
    async waitForNewMaster(slot: number, formerPort: number, timeoutMs = 15_000): Promise<ClusterNode> {
      const master = await waitFor(async () => {
        const found = await masterOf(slot).catch(() => undefined);
        return found && found.port !== formerPort && live().some((server) => server.port === found.port) ? found : null;
      }, `a new master for slot ${slot}`, timeoutMs);
      await waitFor(async () => String(await ask(master.port, "CLUSTER", "INFO")).includes("cluster_state:ok"), "the cluster to be whole again", timeoutMs);
      return master;
    },
    stop: () => stopAll(servers, dir),
  };
}
export type RedisClusterHandle = Awaited<ReturnType<typeof startRedisCluster>>;

/**
 * A master, its replica and three Sentinels watching them as `mymaster` (quorum 2, down after 1 s).
 * `failover()` asks a Sentinel to fail over, as an operator does before maintenance.
 *
 * Configured as the README asks for Sentinel: a server takes a write only while its replica is attached
 * (`min-replicas-to-write 1`). Else the old master goes on acknowledging writes after the replica was
 * promoted, until clients move, and its demotion then discards them; refused, they wait in the line's spool.
 */
export async function startRedisSentinel(name = "mymaster") {
  const dir = tempDir("sentinel");
  const base = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--min-replicas-to-write", "1", "--min-replicas-max-lag", "10"];
  const master = await startServer((port) => ["--port", String(port), ...base]);
  const replica = await startServer((port) => ["--port", String(port), "--replicaof", "127.0.0.1", String(master.port), ...base]);
  const sentinels = await Promise.all(
    [1, 2, 3].map((n) =>
      startServer((port) => {
        const file = join(dir, `sentinel-${n}.conf`);
        const conf = [
          `port ${port}`, "bind 127.0.0.1", `dir ${dir}`,
          `sentinel monitor ${name} 127.0.0.1 ${master.port} 2`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
        ];
        writeFileSync(file, `${conf.join("\n")}\n`);
        return [file, "--sentinel"];
      }),
    ),
  );
  const masterPort = async (via = sentinels[0]!.port) => Number(((await ask(via, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", name)) as string[])[1]);
  const knowsReplica = async (via: number) => ((await ask(via, "SENTINEL", "REPLICAS", name)) as string[][]).some((fields) => fields.includes(String(replica.port)) && fields[fields.indexOf("flags") + 1] === "slave");
  await waitFor(async () => String(await ask(replica.port, "INFO", "replication")).includes("master_link_status:up"), "the replica to sync");
  await waitFor(async () => (await Promise.all(sentinels.map((s) => knowsReplica(s.port)))).every(Boolean), "every Sentinel to know the replica", 15_000);
  return {
    /** Comma separated Sentinels, as REDIS_SENTINELS takes them. */
    sentinels: sentinels.map((s) => `127.0.0.1:${s.port}`).join(","),
    name,
    ports: { master: master.port, replica: replica.port },
    masterPort,
    /** Fails over to the replica and waits until every Sentinel names it the master. */
    async failover() {
      await ask(sentinels[0]!.port, "SENTINEL", "FAILOVER", name);
      await waitFor(async () => (await Promise.all(sentinels.map((s) => masterPort(s.port)))).every((port) => port === replica.port), "the Sentinels to name the replica master", 15_000);
    },
    stop: () => stopAll([...sentinels, replica, master], dir),
  };
}
export type RedisSentinelHandle = Awaited<ReturnType<typeof startRedisSentinel>>;
