import type { Role } from "../../call/staff.ts";

const READS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * The role a request needs, from its method and its path under /console or /api. One table for every route,
 * so a page or endpoint added later is covered from the start: reading needs a viewer, changing needs an
 * engineer (case actions, replies, overrides, drill reports), and the admin areas need an admin whatever
 * the method. Signing out and one's own API tokens need only a signed-in person.
 */
export function requiredRole(area: "console" | "api", method: string, rawPath: string): Role {
  const path = normalise(rawPath);
  const reading = READS.has(method.toUpperCase());
  if (area === "api") return reading ? "viewer" : ADMIN_CHANGES.some((prefix) => under(path, prefix)) ? "admin" : "engineer";
  if (ADMIN_AREAS.some((prefix) => under(path, prefix))) return "admin";
  if (ANYONE.some((prefix) => under(path, prefix))) return "viewer";
  if (!reading && ADMIN_CHANGES.some((prefix) => under(path, prefix))) return "admin";
  return reading ? "viewer" : "engineer";
}

/** Admins only, reading included: the queues board changes queues from its own page, staff and audit are private. */
const ADMIN_AREAS = ["/queues", "/staff", "/audit"];
/** Read by all, changed by admins: who is on call. */
const ADMIN_CHANGES = ["/roster", "/schedule"];
const ANYONE = ["/logout", "/account"];

/** As the router matches it: case-insensitive, %-escapes decoded, repeated slashes as one. */
function normalise(path: string): string {
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // a malformed escape matches no route either
  }
  return decoded.toLowerCase().replace(/\/{2,}/g, "/");
}

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);
