import { html, type Html } from "./html.ts";

/**
 * One time format on every console page: UTC, `2026-12-07 03:12:09 UTC`, in a `<time datetime>` whose
 * `title` the page's script (refresh.js) fills with the reader's local time, shown on hover.
 */
export function utcText(iso: string | number): string {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? String(iso) : `${at.toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

export function when(at: string | number | null | undefined): Html | string {
  if (at === null || at === undefined || at === "") return "—";
  const iso = typeof at === "number" ? new Date(at).toISOString() : at;
  return html`<time datetime="${iso}">${utcText(iso)}</time>`;
}

/** `3 min 07 s`, `42 s`: how long something has lasted. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
}

/** A counter from `since` to now, kept ticking by refresh.js; the server renders its value at `now`. */
export function elapsed(since: string, now: Date): Html {
  return html`<span class="elapsed" data-since="${since}">${duration((now.getTime() - Date.parse(since)) / 1000)}</span>`;
}

/** A click-to-call link, for a number that can be called back (not a withheld caller). */
export function telLink(number: string | null | undefined): Html | string {
  if (!number) return "—";
  return /^\+?\d{3,}$/.test(number) ? html`<a class="tel" href="tel:${number}">${number}</a>` : number;
}
