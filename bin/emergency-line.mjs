#!/usr/bin/env node
// `emergency-line serve | worker | drill | render-twiml`: runs the TypeScript sources through tsx.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
