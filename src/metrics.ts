import type { Queue } from "bullmq";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { SpoolStatus } from "./store/journal.ts";

/**
 * GET /metrics (Prometheus): what staff alert on. One registry per process's services, so tests can run
 * several. The gauges read their sources when scraped, through the functions given here.
 */
export function createMetrics(deps: { queues: () => Queue[]; spool: () => SpoolStatus }) {
  const registry = new Registry();
  // `drill` ("true"/"false") on what a call does, so drills neither flatter nor spoil the real figures.
  const calls = new Counter({
    name: "emergency_line_calls_total",
    help: "Calls by outcome, counted when the incident is raised",
    labelNames: ["outcome", "drill"],
    registers: [registry],
  });
  const timeToHuman = new Histogram({
    name: "emergency_line_time_to_human_seconds",
    help: "From the call's arrival to an engineer pressing 1",
    labelNames: ["drill"],
    buckets: [10, 20, 30, 45, 60, 90, 120, 180],
    registers: [registry],
  });
  const legs = new Counter({ name: "emergency_line_engineer_legs_total", help: "Engineer legs by how they ended", labelNames: ["result", "drill"], registers: [registry] });
  const webhookLatency = new Histogram({
    name: "emergency_line_webhook_duration_seconds",
    help: "Time to answer a Twilio webhook",
    labelNames: ["route", "status"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  // A paused queue holds pages and emails back, silently: alert on it.
  new Gauge({
    name: "emergency_line_queue_paused",
    help: "1 while a follow-up queue is paused (its jobs wait)",
    labelNames: ["queue"],
    registers: [registry],
    async collect() {
      this.reset();
      const flags = await Promise.race([
        Promise.all(deps.queues().map(async (queue) => [queue.name, await queue.isPaused()] as const)).catch(() => []),
        new Promise<[]>((resolve) => setTimeout(() => resolve([]), 1000).unref()),
      ]);
      for (const [queue, paused] of flags) this.set({ queue }, paused ? 1 : 0);
    },
  });
  new Gauge({
    name: "emergency_line_queue_jobs",
    help: "Follow-up jobs by queue and state",
    labelNames: ["queue", "state"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const queue of deps.queues()) {
        // A queue that never reached Redis waits for it indefinitely: a scrape must not.
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error("no answer")), 1000)));
        try {
          const counts = await Promise.race([queue.getJobCounts("waiting", "delayed", "active", "failed", "completed"), timeout]);
          for (const [state, count] of Object.entries(counts)) this.set({ queue: queue.name, state }, count);
        } catch {
          // Redis away: the queue's depth is unknown; the spool gauges tell the story.
          break;
        } finally {
          clearTimeout(timer);
        }
      }
    },
  });
  new Gauge({
    name: "emergency_line_spooled_writes",
    help: "Writes waiting in the local spool for Redis",
    registers: [registry],
    collect() {
      this.set(deps.spool().spooled);
    },
  });
  new Gauge({
    name: "emergency_line_unspooled_writes",
    help: "Writes waiting for Redis held only in memory, because the spool file cannot take them (disk full, not writable): lost if the process stops",
    registers: [registry],
    collect() {
      this.set(deps.spool().unspooled);
    },
  });
  return { registry, calls, timeToHuman, legs, webhookLatency };
}
export type Metrics = ReturnType<typeof createMetrics>;

/** The `drill` label's value. */
export const drillLabel = (drill: boolean): "true" | "false" => (drill ? "true" : "false");
