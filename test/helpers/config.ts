import { expect } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.ts";

/** The message start-up would stop with for this environment (the test fails if it would start). */
export function configErrorOf(env: Record<string, string | undefined>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected the configuration to be refused");
}
