// Starting the bench's servers (bench/server.ts) in their own processes, and asking them what they used.
import { fork, type ChildProcess } from "node:child_process";

export interface BenchServer {
  mode: "line" | "bare";
  url: string;
  child: ChildProcess;
}

export interface ServerStats {
  rss: number;
  cpuMs: number;
  /** Since the previous stats: the event loop's delay (p99, max) and the collections' pauses. */
  loopP99Ms: number;
  loopMaxMs: number;
  gc: { count: number; ms: number; maxMs: number };
  /** Since the previous stats: time from a request's arrival to its answer, inside the server. */
  servedP50Ms: number;
  servedP99Ms: number;
}

/** A bench module (`file`, a module's import.meta.url) in a Node process of its own, under tsx, with IPC. */
export function forkBench(file: string, args: string[], { env = {}, nodeFlags = [] }: { env?: Record<string, string>; nodeFlags?: string[] } = {}): ChildProcess {
  return fork(new URL(file).pathname, args, { env: { ...process.env, ...env }, execArgv: [...nodeFlags, "--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
}

/** `nodeFlags`: e.g. --cpu-prof --cpu-prof-dir=DIR, for a profile of each server. */
export async function startServer(mode: "line" | "bare", env: Record<string, string>, nodeFlags: string[]): Promise<BenchServer> {
  const child = forkBench(new URL("./server.ts", import.meta.url).href, [mode], { env, nodeFlags });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("message", (message) => resolve((message as { port: number }).port));
    child.once("exit", (code) => reject(new Error(`${mode} server exited with ${code}`)));
  });
  return { mode, url: `http://127.0.0.1:${port}`, child };
}

export function stats(server: BenchServer): Promise<ServerStats> {
  return new Promise((resolve) => {
    server.child.once("message", (message) => resolve(message as ServerStats));
    server.child.send("stats");
  });
}

/** Waits for the server to exit after SIGTERM, so a profile it writes on exit is complete. */
export function stop(server: BenchServer): Promise<void> {
  if (server.child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    server.child.once("exit", () => resolve());
    server.child.kill("SIGTERM");
  });
}
