/** Polls `probe` until it returns something truthy, or gives up after `timeoutMs` with a message naming `what`. */
export async function waitFor<T>(probe: () => Promise<T> | T, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Like waitFor, but answers null instead of failing: for things a drill reports as missing. */
export async function eventually<T>(probe: () => Promise<T> | T, timeoutMs: number): Promise<NonNullable<T> | null> {
  try {
    return await waitFor(probe, "", timeoutMs);
  } catch {
    return null;
  }
}
