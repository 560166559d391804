// `tsx bench/profile.ts FILE.cpuprofile [--top N]`: where a `node --cpu-prof` profile's time went, as shares
// of the busy (non-idle) time, by package or source file, then the heaviest functions. Run it on the line's
// profile from `npm run bench -- --profile DIR` (see README "Benchmark").
import { readFileSync } from "node:fs";
import { z } from "zod";

const profileSchema = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
    }),
  ),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});

export interface ProfileSummary {
  busyMs: number;
  idleMs: number;
  byPlace: { place: string; share: number }[];
  byFunction: { name: string; place: string; share: number }[];
}

/** The package (node_modules/NAME), our file (src/...), a Node built-in, or a V8 category (GC, program). */
export function placeOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith("(") ? functionName : "(native)";
  const modules = url.lastIndexOf("node_modules/");
  if (modules !== -1) {
    const rest = url.slice(modules + "node_modules/".length).split("/");
    return rest[0]!.startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const src = url.indexOf("/src/");
  if (src !== -1) return url.slice(src + 1);
  if (url.startsWith("node:")) return url.slice(5).split("/")[0]!.replace(/^internal$/, "node internals");
  return url.split("/").at(-1) ?? url;
}

export function summarise(text: string, top = 15): ProfileSummary {
  const profile = profileSchema.parse(JSON.parse(text));
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  const places = new Map<string, number>();
  const functions = new Map<string, { place: string; ms: number }>();
  let idleMs = 0;
  let busyMs = 0;
  for (const [id, ms] of selfMs) {
    const frame = byId.get(id)!;
    if (frame.functionName === "(idle)") {
      idleMs += ms;
      continue;
    }
    busyMs += ms;
    const place = placeOf(frame.url, frame.functionName);
    places.set(place, (places.get(place) ?? 0) + ms);
    const name = `${frame.functionName || "(anonymous)"}:${frame.lineNumber + 1}`;
    const key = `${place} ${name}`;
    functions.set(key, { place, ms: (functions.get(key)?.ms ?? 0) + ms });
  }
  const share = (ms: number) => (busyMs ? ms / busyMs : 0);
  return {
    busyMs,
    idleMs,
    byPlace: [...places].map(([place, ms]) => ({ place, share: share(ms) })).sort((a, b) => b.share - a.share).slice(0, top),
    byFunction: [...functions].map(([key, { place, ms }]) => ({ name: key.slice(place.length + 1), place, share: share(ms) })).sort((a, b) => b.share - a.share).slice(0, top),
  };
}

export function formatSummary(summary: ProfileSummary): string {
  const percent = (share: number) => `${(share * 100).toFixed(1).padStart(5)}%`;
  return [
    `busy ${summary.busyMs.toFixed(0)} ms, idle ${summary.idleMs.toFixed(0)} ms`,
    "self time by place:",
    ...summary.byPlace.map((row) => `  ${percent(row.share)}  ${row.place}`),
    "heaviest functions:",
    ...summary.byFunction.map((row) => `  ${percent(row.share)}  ${row.name}  (${row.place})`),
  ].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, flag, count] = process.argv.slice(2);
  if (!file) {
    console.error("usage: tsx bench/profile.ts FILE.cpuprofile [--top N]");
    process.exit(2);
  }
  console.log(formatSummary(summarise(readFileSync(file, "utf8"), flag === "--top" ? Number(count) : 15)));
}
