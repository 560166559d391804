import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderSamples } from "../../src/line/samples.ts";

describe("twiml/ holds what the code renders", () => {
  const rendered = renderSamples();
  it("has one file per step and no stale ones", () => {
    expect(readdirSync("twiml").sort()).toEqual(Object.keys(rendered).sort());
  });
  it.each(Object.keys(rendered))("%s matches the code (run `npm run render-twiml` after changing a prompt)", (file) => {
    expect(readFileSync(`twiml/${file}`, "utf8")).toBe(rendered[file]);
  });
});
