import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import * as oidc from "openid-client";
import { z } from "zod";
import { ROLES, roleSchema, type Actor, type Role } from "../../call/staff.ts";
import type { StaffKeys } from "./sessions.ts";

export interface SsoSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** `PUBLIC_BASE_URL/console/login/sso/callback`, registered with the provider. */
  redirectUri: string;
  roleClaim: string;
  /** Claim value → role; a value that is itself a role name maps to that role. */
  roleMap: Map<string, Role>;
}

export class SsoError extends Error {
  constructor(
    readonly status: 400 | 401 | 403,
    message: string,
  ) {
    super(message);
  }
}

const pendingSchema = z.object({ state: z.string(), nonce: z.string(), verifier: z.string() });
/** How long a browser may spend at the provider between leaving and coming back. */
const PENDING_SECONDS = 600;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);

/**
 * Single sign-on with OpenID Connect (openid-client): the authorization code flow with PKCE, state and nonce.
 * What a sign-in in progress needs is kept in Redis under a one-use key the browser holds in a cookie, so
 * any instance of the line can finish it. The role comes from a claim of the ID token or userinfo.
 */
export class SingleSignOn {
  private discovered: Promise<oidc.Configuration> | null = null;

  constructor(
    private readonly settings: SsoSettings,
    private readonly redis: Redis,
    private readonly keys: StaffKeys,
  ) {}

  /** Where to send the browser, and the key of this attempt (for its cookie). */
  async start(): Promise<{ url: string; key: string }> {
    const config = await this.configuration();
    const pending = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier() };
    const key = randomBytes(24).toString("base64url");
    await this.redis.set(this.keys.sso(key), JSON.stringify(pending), "EX", PENDING_SECONDS);
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: this.settings.redirectUri,
      scope: "openid email profile",
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: "S256",
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url: url.href, key };
  }

  /** The provider sent the browser back to `callbackUrl`: the person, with the role their claim maps to. */
  async finish(key: string | undefined, callbackUrl: URL): Promise<Actor & { via: "sso" }> {
    const raw = key ? await this.redis.getdel(this.keys.sso(key)) : null;
    const pending = raw ? pendingSchema.safeParse(JSON.parse(raw)) : null;
    if (!pending?.success) throw new SsoError(400, "this single sign-on attempt has expired or was already used: start again");
    const config = await this.configuration();
    let claims: Record<string, unknown>;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: pending.data.verifier,
        expectedState: pending.data.state,
        expectedNonce: pending.data.nonce,
        idTokenExpected: true,
      });
      const idClaims = tokens.claims()!;
      // Providers put profile claims in the ID token, in userinfo, or both: read both, the ID token winning.
      const info = await oidc.fetchUserInfo(config, tokens.access_token, idClaims.sub).catch(() => ({}));
      claims = { ...info, ...idClaims };
    } catch (error) {
      throw new SsoError(401, `the provider did not sign you in: ${(error as Error).message}`);
    }
    const email = typeof claims.email === "string" ? claims.email.toLowerCase() : null;
    if (!email) throw new SsoError(403, "the provider gave no email address (the email scope and claim are needed)");
    const role = this.roleOf(claims[this.settings.roleClaim]);
    if (!role) {
      throw new SsoError(403, `${email} has no console role: the provider's "${this.settings.roleClaim}" claim (${JSON.stringify(claims[this.settings.roleClaim] ?? null)}) maps to none of ${ROLES.join(", ")}`);
    }
    const name = typeof claims.name === "string" && claims.name ? claims.name : email;
    return { email, name, role, via: "sso" };
  }

  /**
   * The URL the provider sent the browser back to, as it sent it: the registered redirect URI (built from
   * PUBLIC_BASE_URL, so a proxy in front changes nothing) with the query it added.
   */
  callbackUrl(query: string): URL {
    const url = new URL(this.settings.redirectUri);
    url.search = query;
    return url;
  }

  /** The highest role any of the claim's values maps to. */
  roleOf(claim: unknown): Role | null {
    const values = (Array.isArray(claim) ? claim : [claim]).filter((v): v is string => typeof v === "string");
    const roles = values.map((v) => this.settings.roleMap.get(v) ?? roleSchema.safeParse(v).data).filter((r): r is Role => r !== undefined);
    return roles.sort((a, b) => ROLES.indexOf(b) - ROLES.indexOf(a))[0] ?? null;
  }

  /** Discovered on first use (and again after a failure), so the line starts while the provider is away. */
  private configuration(): Promise<oidc.Configuration> {
    if (!this.discovered) {
      const issuer = new URL(this.settings.issuer);
      // Plain http only to a provider on this machine (a test or a local proxy); anything else must be https.
      const local = issuer.protocol === "http:" && LOOPBACK.has(issuer.hostname);
      this.discovered = oidc.discovery(issuer, this.settings.clientId, this.settings.clientSecret, undefined, local ? { execute: [oidc.allowInsecureRequests] } : undefined);
      this.discovered.catch(() => {
        this.discovered = null;
      });
    }
    return this.discovered;
  }
}
