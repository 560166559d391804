import { AsyncLocalStorage } from "node:async_hooks";
import type { RequestHandler } from "express";
import { roleAtLeast, type Actor, type Role } from "../../call/staff.ts";

/**
 * Who the page being rendered is for. The console's page functions are shared by many features and take
 * only what they show; the signed-in person is request context, set once by `forThisRequest` after the
 * guard, so a page can leave out the buttons its reader may not use without every page passing it along.
 * The server enforces the same rules anyway (policy.ts): this only keeps pages honest.
 */
const reader = new AsyncLocalStorage<Actor>();

export const forThisRequest: RequestHandler = (_req, res, next) => {
  const actor = res.locals.actor as Actor | undefined;
  if (!actor) return next();
  reader.run(actor, next);
};

export const signedIn = (): Actor | null => reader.getStore() ?? null;

/** Whether the reader of this page may do what `role` may. */
export const can = (role: Role): boolean => {
  const actor = signedIn();
  return actor !== null && roleAtLeast(actor.role, role);
};
