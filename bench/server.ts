// A server for the benchmark, in its own process so the load generator does not share its event loop:
// `line` is the emergency line on Redis; `bare` is Express answering a fixed TwiML document on any path.
// Over IPC it answers "stats" with its RSS and CPU time, so the bench can report cost per request.
import type { Server } from "node:http";
import { createHistogram, monitorEventLoopDelay, PerformanceObserver } from "node:perf_hooks";
import express from "express";
import { pino } from "pino";
import { loadConfig } from "../src/config.ts";
import { connectRedis } from "../src/store/redis.ts";
import { startLine } from "../src/server.ts";

const mode = process.argv[2];
const FIXED_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response><Say>You have reached the emergency on-call line.</Say><Dial action="http://127.0.0.1/voice/dial?level=1" timeout="20"><Number url="http://127.0.0.1/voice/whisper">+15550001001</Number></Dial></Response>';

let port: number;
// Each request's time inside this process (arrival of its headers to the last byte written), beside what the
// generator measures: the difference is the network, the generator and the machine's other processes.
const served = createHistogram();
function timeRequests(server: Server) {
  server.on("request", (_req, res) => {
    const start = process.hrtime.bigint();
    res.once("finish", () => served.record(Number(process.hrtime.bigint() - start) || 1));
  });
}
if (mode === "bare") {
  const app = express();
  // The same work as the line's edge, minus the line: parse the signed form, answer TwiML.
  app.use(express.urlencoded({ extended: false }), (_req, res) => {
    res.type("text/xml").send(FIXED_TWIML);
  });
  port = await new Promise<number>((resolve) => {
    const server = app.listen(0, "127.0.0.1", () => {
      timeRequests(server);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
} else if (mode === "line") {
  const redis = connectRedis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  const line = await startLine({
    config: (listening) => loadConfig({ ...process.env, PORT: String(listening), PUBLIC_BASE_URL: `http://127.0.0.1:${listening}` }),
    redis,
    log: pino({ level: "silent" }),
    port: 0,
    host: "127.0.0.1",
    workers: false,
  });
  timeRequests(line.server);
  port = Number(new URL(line.url).port);
} else {
  console.error("usage: server.ts line|bare");
  process.exit(2);
}
// Where a tail comes from: how long the event loop was held (a request waiting behind other work or a
// collection), and the collections' own pauses, since the last "stats".
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
const gc = { count: 0, ms: 0, maxMs: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gc.count++;
    gc.ms += entry.duration;
    gc.maxMs = Math.max(gc.maxMs, entry.duration);
  }
}).observe({ entryTypes: ["gc"] });
process.on("message", (message) => {
  if (message !== "stats") return;
  const cpu = process.cpuUsage();
  process.send?.({ rss: process.memoryUsage().rss, cpuMs: (cpu.user + cpu.system) / 1000, loopP99Ms: loopDelay.percentile(99) / 1e6, loopMaxMs: loopDelay.max / 1e6, gc: { ...gc }, servedP50Ms: served.percentile(50) / 1e6, servedP99Ms: served.percentile(99) / 1e6 });
  loopDelay.reset();
  served.reset();
  Object.assign(gc, { count: 0, ms: 0, maxMs: 0 });
});
process.send?.({ port });
// A clean exit on SIGTERM lets `node --cpu-prof` write its profile.
process.once("SIGTERM", () => process.exit(0));
