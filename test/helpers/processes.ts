import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { waitFor } from "../../src/simulator/wait.ts";

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

/**
 * A redis-server of the test's own, with AOF on as in production, which the test can stop and start again
 * on the same port. redis-server cannot pick its own port, so a port another test took first is retried.
 */
export async function ownRedis() {
  let port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "el-redis-"));
  let child: ChildProcess | null = null;
  const ping = async () => {
    const probe = new Redis(port, "127.0.0.1", { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    probe.on("error", () => {});
    try {
      await probe.connect();
      return (await probe.ping()) === "PONG";
    } catch {
      return false;
    } finally {
      probe.disconnect();
    }
  };
  const start = async () => {
    const server = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--dir", dir], { stdio: "ignore" });
    child = server;
    await waitFor(async () => server.exitCode !== null || (await ping()), `redis-server on port ${port}`);
    if (server.exitCode !== null) throw new Error(`redis-server could not start on port ${port}`);
  };
  const stop = async () => {
    if (!child) return;
    const exited = once(child, "exit");
    child.kill("SIGTERM");
    await exited;
    child = null;
  };
  for (let tries = 1; ; tries++) {
    try {
      await start();
      break;
    } catch (error) {
      if (tries === 5) throw error;
      port = await freePort();
    }
  }
  return { url: `redis://127.0.0.1:${port}`, start, stop };
}
