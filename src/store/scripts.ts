import { readFileSync } from "node:fs";
import type { Redis, Result } from "ioredis";

/**
 * The Lua scripts, as files beside this one, registered once per connection with ioredis' defineCommand:
 * each call then goes out as EVALSHA (the script's text travels once), as BullMQ does with its own.
 */
const SCRIPTS = {
  raiseOnce: { file: "raise-once.lua", keys: 4 },
  appendOnce: { file: "append-once.lua", keys: 2 },
  // Its keys vary with the batch: the first argument says how many.
  applyWrites: { file: "apply-writes.lua", keys: undefined },
  endCall: { file: "end-call.lua", keys: 6 },
  transitionCase: { file: "transition-case.lua", keys: 1 },
  raiseCase: { file: "raise-case.lua", keys: 3 },
  recordCaller: { file: "record-caller.lua", keys: 2 },
  setOnce: { file: "set-once.lua", keys: 1 },
} as const;

type Arg = string | number;
declare module "ioredis" {
  interface RedisCommander<Context> {
    raiseOnce(call: string, timeline: string, incident: string, index: string, ...args: Arg[]): Result<number, Context>;
    applyWrites(numberOfKeys: number, ...keysThenArgs: Arg[]): Result<(string | null)[] | number, Context>;
    endCall(call: string, timeline: string, incident: string, incidents: string, calls: string, live: string, ...args: Arg[]): Result<[string, number] | [], Context>;
    appendOnce(call: string, timeline: string, ...args: Arg[]): Result<number, Context>;
    transitionCase(incident: string, ...args: Arg[]): Result<number, Context>;
    raiseCase(caseHash: string, incident: string, index: string, ...args: Arg[]): Result<[number, string], Context>;
    recordCaller(calls: string, group: string, ...args: Arg[]): Result<[number, string], Context>;
    setOnce(hash: string, ...args: Arg[]): Result<number, Context>;
  }
}

// `-- @include lib/NAME.lua` puts a shared function (scripts/lib) in a script, as BullMQ's includes do:
// Redis cannot call one script from another, and the same step written twice would drift apart.
const INCLUDE = /^-- @include (\S+)$/gm;
const sources = new Map<string, string>();
const source = (file: string): string => {
  let lua = sources.get(file);
  if (lua === undefined) {
    lua = readFileSync(new URL(`./scripts/${file}`, import.meta.url), "utf8").replace(INCLUDE, (_line, included: string) => source(included));
    sources.set(file, lua);
  }
  return lua;
};

/** Defines the commands on this connection unless it has them already; returns the same connection. */
export function withScripts(redis: Redis): Redis {
  for (const [name, script] of Object.entries(SCRIPTS)) {
    if (typeof (redis as unknown as Record<string, unknown>)[name] === "function") continue;
    redis.defineCommand(name, { ...(script.keys !== undefined && { numberOfKeys: script.keys }), lua: source(script.file) });
  }
  return redis;
}
