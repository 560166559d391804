import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { cruise, type ICruiseResult } from "dependency-cruiser";
import extractTSConfig from "dependency-cruiser/config-utl/extract-ts-config";
import { describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
const config = require("../../.dependency-cruiser.cjs");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith(".ts") ? [path] : [];
  });
}

describe("the layers of docs/architecture.md", () => {
  it("has no circular import and no import that climbs a layer (dependency-cruiser over src)", async () => {
    const { output } = await cruise(["src"], { validate: true, ruleSet: config, tsPreCompilationDeps: true, doNotFollow: { path: "node_modules" } }, undefined, {
      tsConfig: extractTSConfig("tsconfig.json"),
    });
    const result = output as ICruiseResult;
    const violations = result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}${v.cycle ? ` (${v.cycle.map((c) => c.name).join(" → ")})` : ""}`);
    expect(violations).toEqual([]);
    // The rules only mean something if the modules were found and resolved.
    expect(result.summary.totalCruised).toBeGreaterThan(80);
  });

  it("keeps every source file under 300 lines", () => {
    const long = sourceFiles("src")
      .map((file) => ({ file, lines: readFileSync(file, "utf8").split("\n").length }))
      .filter(({ lines }) => lines > 300);
    expect(long).toEqual([]);
  });

  it("cites no file the repository does not hold", () => {
    const files = [...sourceFiles("src"), ...sourceFiles("test"), ...sourceFiles("bench"), "README.md"];
    const citing = files.filter((file) => /DESIGN\.md/.test(readFileSync(file, "utf8")) && !file.endsWith("architecture.test.ts"));
    expect(citing).toEqual([]);
  });
});
