import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp, type AppOptions, type LineApp } from "./app.ts";
import type { Config } from "./config.ts";

export interface RunningLine extends LineApp {
  server: Server;
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts the line's HTTP server. With port 0 a free port is picked (tests, drills), and `config` may be a
 * function of that port, since PUBLIC_BASE_URL (which signatures are checked against) depends on it.
 */
export async function startLine(
  options: Omit<AppOptions, "config"> & { config: Config | ((port: number) => Config); port: number; host?: string },
): Promise<RunningLine> {
  const server = createServer();
  server.listen(options.port, options.host ?? "0.0.0.0");
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  const config = typeof options.config === "function" ? options.config(port) : options.config;
  const line = createApp({ ...options, config });
  server.on("request", line.app);
  return {
    ...line,
    server,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await line.close();
    },
  };
}
