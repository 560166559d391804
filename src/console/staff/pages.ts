import type { Actor, Role, StaffMember } from "../../call/staff.ts";
import { html } from "../html.ts";
import { when } from "../format.ts";
import { layout } from "../pages.ts";
import type { AuditEntry, AuditFilter } from "./audit.ts";
import type { StaffSession } from "./sessions.ts";
import type { ApiToken } from "./tokens.ts";

/** The sign-in, account, staff and audit pages: server-rendered, no script, like the rest of the console. */

export function loginPage({ local, sso, error, email = "" }: { local: boolean; sso: boolean; error?: string; email?: string }): string {
  return layout(
    "Sign in",
    html`<h1>Staff console</h1>
${error ? html`<p class="error" role="alert">${error}</p>` : ""}
${local
      ? html`<form method="post" action="/console/login" class="login">
<label>Email <input type="email" name="email" value="${email}" autocomplete="username" required autofocus></label>
<label>Password <input type="password" name="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form>`
      : ""}
${sso ? html`<p><a class="button" href="/console/login/sso">Sign in with single sign-on</a></p>` : ""}
${!local && !sso ? html`<p class="warning">No one can sign in yet: list staff in STAFF_FILE or set OIDC_ISSUER (README.md, "Staff console"). Tools use CONSOLE_TOKEN as a bearer token.</p>` : ""}`,
    { nav: false },
  );
}

/** After single sign-on: the session cookie is SameSite=Strict, which a browser holds back on a redirect chain that began at the provider; a step from our own page sends it. */
export function signedInPage(actor: Actor): string {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=/console"><title>Signed in</title>
<link rel="stylesheet" href="/console/static/console.css"></head><body><main><p>Signed in as ${actor.name} (${actor.role}). <a href="/console">Continue to the console</a></p></main></body></html>`.value;
}

export function forbiddenPage(actor: Actor, needed: Role, what: string, csrf: string): string {
  return layout(
    "Not allowed",
    html`<h1>Not allowed</h1><p class="error">${what} needs the ${needed} role; you are signed in as ${actor.name} (${actor.role}).</p>
<p>Ask an admin if you need it. <a href="/console">Back to the incidents</a></p>`,
    { csrf },
  );
}


export function accountPage(actor: Actor, tokens: ApiToken[], csrf: string, { issued, error }: { issued?: { token: string; label: string }; error?: string } = {}): string {
  const canIssue = actor.via === "password" || actor.via === "sso";
  return layout(
    "Account",
    html`<h1>${actor.name}</h1><p>${actor.email}, role <strong class="role">${actor.role}</strong>, signed in ${actor.via === "sso" ? "with single sign-on" : actor.via === "password" ? "with a password" : `with ${actor.via}`}.</p>
${issued
      ? html`<section class="issued"><h2>New API token "${issued.label}"</h2><p class="warning">Copy it now: it is shown once and cannot be read again.</p>
<p><code class="token">${issued.token}</code></p><p>Send it as <code>Authorization: Bearer …</code> to /api; it acts as you, with your role.</p></section>`
      : ""}
<h2>API tokens</h2>
${error ? html`<p class="error">${error}</p>` : ""}
${tokenTable(tokens, csrf, "/console/account/tokens")}
${canIssue
      ? html`<form method="post" action="/console/account/tokens"><input type="hidden" name="_csrf" value="${csrf}">
<label>Label <input name="label" maxlength="80" required placeholder="e.g. laptop scripts"></label> <button type="submit">Issue token</button></form>`
      : ""}`,
    { csrf },
  );
}

function tokenTable(tokens: ApiToken[], csrf: string, action: string) {
  if (!tokens.length) return html`<p>No API tokens.</p>`;
  return html`<table class="tokens"><thead><tr><th>Label</th><th>Id</th><th>Role</th><th>Issued (UTC)</th><th></th></tr></thead><tbody>
${tokens.map(
  (t) => html`<tr><td>${t.label}</td><td><code>${t.id}</code></td><td>${t.role}</td><td>${when(t.createdAt)}</td>
<td><form method="post" action="${action}/${t.id}/revoke" class="inline"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit" aria-label="revoke token ${t.label}">Revoke</button></form></td></tr>`,
)}</tbody></table>`;
}

export interface PersonRow {
  email: string;
  member: StaffMember | null;
  sessions: StaffSession[];
  tokens: ApiToken[];
}

export function staffPage(people: PersonRow[], csrf: string, notice?: string): string {
  return layout(
    "Staff",
    html`<h1>Staff</h1>
${notice ? html`<p class="notice">${notice}</p>` : ""}
<p>People come from STAFF_FILE (add one with <code>emergency-line staff add NAME --email E --role R</code>) or sign in with single sign-on.</p>
<table class="staff"><thead><tr><th>Name</th><th>Email</th><th>Role</th><th>Signed in</th><th>Sessions</th><th>API tokens</th><th></th></tr></thead><tbody>
${people.map((p) => {
  const name = p.member?.name ?? p.sessions[0]?.name ?? p.tokens[0]?.name ?? "";
  const role = p.member?.role ?? p.sessions[0]?.role ?? p.tokens[0]?.role ?? "";
  return html`<tr><td>${name}</td><td>${p.email}</td><td>${role}</td><td>${p.member ? "password" : "single sign-on"}</td>
<td>${p.sessions.length}${p.sessions.length ? html` (last seen ${when(Math.max(...p.sessions.map((s) => s.lastSeenAt)))})` : ""}</td>
<td>${p.tokens.map((t) => html`<form method="post" action="/console/staff/tokens/${t.id}/revoke" class="inline"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit" aria-label="revoke token ${t.label} of ${p.email}">Revoke ${t.label}</button></form> `)}</td>
<td>${p.sessions.length
      ? html`<form method="post" action="/console/staff/sign-out-everywhere" class="inline"><input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="email" value="${p.email}"><button type="submit" aria-label="sign out ${p.email} everywhere">Sign out everywhere</button></form>`
      : ""}</td></tr>`;
})}</tbody></table>`,
    { csrf },
  );
}

const shown = (value: unknown) => (value === null || value === undefined ? "" : JSON.stringify(value));

export function auditPage(entries: AuditEntry[], filter: AuditFilter, csrf: string, error?: string): string {
  return layout(
    "Audit trail",
    html`<h1>Audit trail</h1>
<p>Every change made through the console or the API, and every sign-in and sign-out: append-only, newest first (UTC).</p>
<form method="get" action="/console/audit" class="filters">
<label>Person <input name="person" value="${filter.person ?? ""}" placeholder="email or name"></label>
<label>Action <input name="action" value="${filter.action ?? ""}" placeholder="e.g. case or auth.sign-in"></label>
<label>From <input type="date" name="from" value="${filter.from ?? ""}"></label>
<label>To <input type="date" name="to" value="${filter.to ?? ""}"></label>
<button type="submit">Filter</button> <a href="/console/audit">Clear</a></form>
${error ? html`<p class="error">${error}</p>` : ""}
<table class="audit"><thead><tr><th>When</th><th>Who</th><th>Role</th><th>Action</th><th>On</th><th>Before</th><th>After</th></tr></thead><tbody>
${entries.length
      ? entries.map(
          (e) => html`<tr class="audit-entry"><td>${when(e.at)}</td><td title="${e.actor} via ${e.via}">${e.actorName}${e.actor !== e.actorName ? html`<br><small>${e.actor}</small>` : ""}</td><td>${e.role}</td>
<td class="action">${e.action}</td><td>${e.target}</td><td><code class="before">${shown(e.before)}</code></td><td><code class="after">${shown(e.after)}</code></td></tr>`,
        )
      : html`<tr><td colspan="7">Nothing recorded${filter.person || filter.action || filter.from || filter.to ? " matching these filters" : ""}.</td></tr>`}
</tbody></table>`,
    { csrf },
  );
}
