/**
 * The layers of docs/architecture.md, enforced: a module imports only from layers below its own (or its own
 * folder), never in a circle. test/unit/architecture.test.ts runs this inside `npm test`;
 * `npx depcruise src` prints the same verdict.
 */
const LAYERS = [
  // [name, path pattern] from the bottom up
  ["call", "^src/call/"],
  // Pure schedule resolution: may use src/call, zod, luxon and yaml, nothing with I/O but reading its file.
  ["schedule", "^src/schedule/"],
  ["foundation", "^src/(config|log)\\.ts$"],
  ["store", "^src/(store|statuspage)/"],
  ["incidents", "^src/incidents/"],
  ["followup", "^src/followup/"],
  ["email", "^src/email/"],
  ["metrics", "^src/metrics\\.ts$"],
  ["edges", "^src/(line|console)/"],
  ["process", "^src/(app|server|services|startup-summary|request-log)\\.ts$"],
  ["drill", "^src/drill/"],
  ["cli", "^src/cli\\.ts$"],
];

const above = (index) => LAYERS.slice(index + 1).map(([, path]) => `(${path})`).join("|");

module.exports = {
  forbidden: [
    { name: "no-circular", severity: "error", comment: "a circle of imports hides which side decides", from: {}, to: { circular: true } },
    ...LAYERS.slice(0, -1).map(([name, path], index) => ({
      name: `no-upward-from-${name}`,
      severity: "error",
      comment: `${name} may import only from the layers below it`,
      from: { path },
      to: { path: above(index) },
    })),
    // Siblings in one layer stay apart: the line and the console never import each other, nor the store
    // the status page.
    { name: "line-not-console", severity: "error", from: { path: "^src/line/" }, to: { path: "^src/console/" } },
    { name: "console-not-line", severity: "error", from: { path: "^src/console/" }, to: { path: "^src/line/" } },
    { name: "store-not-statuspage", severity: "error", from: { path: "^src/store/" }, to: { path: "^src/statuspage/" } },
    { name: "statuspage-not-store", severity: "error", from: { path: "^src/statuspage/" }, to: { path: "^src/store/" } },
    {
      name: "call-is-pure",
      severity: "error",
      comment: "src/call holds pure decisions and schemas: zod and nothing else",
      from: { path: "^src/call/" },
      to: { pathNot: "^(src/call/|node_modules/zod/)" },
    },
    {
      name: "simulator-is-apart",
      severity: "error",
      comment: "the carrier speaks only HTTP and TwiML to the line, so it can drive a deployed one",
      from: { path: "^src/simulator/" },
      to: { path: "^src/", pathNot: "^src/simulator/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] },
  },
};
