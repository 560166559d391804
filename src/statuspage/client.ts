import { z } from "zod";
import type { StatusNotice } from "../call/records.ts";

const unresolvedSchema = z.object({
  incidents: z.array(
    z.object({
      name: z.string(),
      status: z.string().optional(),
      shortlink: z.string().optional(),
    }),
  ),
});

export type { StatusNotice };

export interface StatusPage {
  /** The unresolved incident to announce, or null. Never throws and never takes longer than the budget. */
  currentIncident(): Promise<StatusNotice | null>;
}

export interface StatusPageOptions {
  baseUrl: string | undefined;
  budgetMs?: number;
  cacheMs?: number;
  onError?: (error: unknown) => void;
  now?: () => number;
}

/**
 * A Statuspage-compatible client (`/api/v2/incidents/unresolved.json`). The greeting waits for it, so a
 * slow or broken page costs at most the budget, and answers are cached so a burst of callers costs one fetch.
 * On failure we announce nothing: an unnecessary engineer call is cheaper than a wrongly deflected caller.
 */
export function createStatusPage({ baseUrl, budgetMs = 1500, cacheMs = 30_000, onError, now = Date.now }: StatusPageOptions): StatusPage {
  if (!baseUrl) return { currentIncident: async () => null };
  const url = new URL("api/v2/incidents/unresolved.json", baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`).toString();
  let cached: { at: number; value: StatusNotice | null } | null = null;
  let inFlight: Promise<StatusNotice | null> | null = null;

  async function fetchNotice(): Promise<StatusNotice | null> {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(budgetMs), headers: { accept: "application/json" } });
      if (!response.ok) throw new Error(`status page answered HTTP ${response.status}`);
      const body = unresolvedSchema.parse(await response.json());
      const first = body.incidents[0];
      const value = first ? { name: first.name, link: first.shortlink ?? null } : null;
      cached = { at: now(), value };
      return value;
    } catch (error) {
      onError?.(error);
      return cached?.value ?? null;
    } finally {
      inFlight = null;
    }
  }

  return {
    currentIncident() {
      if (cached && now() - cached.at < cacheMs) return Promise.resolve(cached.value);
      inFlight ??= fetchNotice();
      return inFlight;
    },
  };
}
