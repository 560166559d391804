import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync } from "node:fs";
import { connect, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
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
 * `started: false` only reserves a port number (nothing listens there until `start()`); `port` picks it.
 */
export async function ownRedis({ started = true, port: fixed }: { started?: boolean; port?: number } = {}) {
  let port = fixed ?? (await freePort());
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
  for (let tries = 1; started; tries++) {
    try {
      await start();
      break;
    } catch (error) {
      if (tries === 5) throw error;
      port = await freePort();
    }
  }
  return { url: `redis://127.0.0.1:${port}`, port, start, stop };
}

/**
 * A "Redis" that accepts connections and never answers, as a frozen server or a half-open link looks to a
 * client. `release()` stops listening, so a real redis-server can take the port, but keeps the connections
 * it accepted open and silent: a client must notice on its own that nobody answers there.
 */
export async function hungRedis(port = 0) {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  const bound = (server.address() as { port: number }).port;
  return {
    url: `redis://127.0.0.1:${bound}`,
    port: bound,
    get connections() {
      return sockets.size;
    },
    async release() {
      // server.close() frees the port at once; its callback would wait for the silent connections to end.
      if (server.listening) server.close();
      await new Promise((resolve) => setImmediate(resolve));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await this.release();
    },
  };
}

/**
 * A TCP proxy to a real Redis whose `freeze()` silences every connection open at that moment (nothing passes
 * either way, nothing is closed), as a link that died without a FIN or RST looks; later connections pass.
 */
export async function freezingProxy(targetPort: number) {
  let live = new Set<[Socket, Socket]>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, "127.0.0.1");
    const pair: [Socket, Socket] = [client, upstream];
    live.add(pair);
    client.pipe(upstream).pipe(client);
    for (const socket of pair) {
      socket.on("error", () => {});
      socket.on("close", () => pair.forEach((s) => s.destroy()));
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const frozen: [Socket, Socket][] = [];
  return {
    url: `redis://127.0.0.1:${(server.address() as { port: number }).port}`,
    get connections() {
      return live.size;
    },
    freeze() {
      for (const [client, upstream] of live) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
        frozen.push([client, upstream]);
      }
      live = new Set();
    },
    async close() {
      for (const pair of [...live, ...frozen]) pair.forEach((s) => s.destroy());
      server.close();
    },
  };
}

/** `emergency-line <command>` as a child process with its output collected line by line. */
export function cliProcess(command: string, env: Record<string, string>, args: string[] = []) {
  const child = spawn(process.execPath, ["--import", "tsx", "src/cli.ts", command, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const collect = (stream: NodeJS.ReadableStream) => createInterface({ input: stream }).on("line", (line) => lines.push(line));
  collect(child.stdout!);
  collect(child.stderr!);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    lines,
    exited,
    /** The first log entry (pino JSON) that `match` accepts; fails if the process exits first. */
    async logEntry(match: (entry: Record<string, unknown>) => boolean, timeoutMs = 15_000): Promise<Record<string, unknown>> {
      let gone = false;
      void exited.then(() => (gone = true));
      const found = await waitFor(() => {
        const entry = lines.map(parseJson).find((e) => e && match(e));
        if (entry || gone) return { entry };
        return null;
      }, "a log line", timeoutMs);
      if (!found.entry) throw new Error(`${command} exited first:\n${lines.join("\n")}`);
      return found.entry;
    },
    async kill(signal: NodeJS.Signals = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

function parseJson(line: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(line) as unknown;
    return value && typeof value === "object" ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
