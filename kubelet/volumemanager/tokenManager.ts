/**
 * Service-account tokens for projected volumes (upstream pkg/kubelet/token.Manager): tokens are
 * cached per (namespace, account, audiences, expiration, bound object) and requested again once
 * 80% of their lifetime has passed or they are 24 hours old (minus a small jitter). When a refresh
 * fails, a cached token that has not expired yet is still served.
 */
import type { ObjectSource, TokenRequestSpec, TokenRequestStatus } from "./objectSource.ts";

/** Upstream's maxTTL: tokens older than this are refreshed whatever their expiration. */
export const TOKEN_MAX_TTL_MS = 24 * 3600_000;
/** Upstream's maxJitter: refreshes start up to this much earlier, spreading load. */
const MAX_JITTER_MS = 10_000;

interface CachedToken { status: TokenRequestStatus; expirationSeconds: number; expiresAt: number; podUID?: string }

/** Issues and caches service-account tokens. */
export class TokenManager {
  private readonly cache = new Map<string, CachedToken>();

  constructor(
    private readonly source: ObjectSource,
    private readonly now: () => number,
    private readonly random: () => number = Math.random,
  ) {}

  /** A valid token for `serviceAccount`, from the cache unless it needs a refresh. */
  async getToken(namespace: string, serviceAccount: string, spec: TokenRequestSpec): Promise<TokenRequestStatus> {
    const key = JSON.stringify([namespace, serviceAccount, spec.audiences, spec.expirationSeconds ?? null, spec.boundObjectRef ?? null]);
    const cached = this.cache.get(key);
    if (cached && !this.requiresRefresh(cached)) return cached.status;
    try {
      const status = await this.source.requestToken(namespace, serviceAccount, spec);
      const expiresAt = Date.parse(status.expirationTimestamp);
      this.cache.set(key, { status, expirationSeconds: spec.expirationSeconds ?? 3600, expiresAt, podUID: spec.boundObjectRef?.uid });
      return status;
    } catch (err) {
      if (cached && this.now() < cached.expiresAt) return cached.status;
      throw err;
    }
  }

  /** Forgets the tokens bound to a pod (after its volumes are torn down). */
  deleteForPod(podUID: string): void {
    for (const [key, t] of this.cache) if (t.podUID === podUID) this.cache.delete(key);
  }

  /** Upstream requiresRefresh: 24 h after issue, or within 20% of the lifetime of expiry, each less a jitter. */
  requiresRefresh(t: Pick<CachedToken, "expiresAt" | "expirationSeconds">): boolean {
    const now = this.now();
    const jitter = Math.floor(this.random() * (MAX_JITTER_MS / 1000)) * 1000;
    const issuedAt = t.expiresAt - t.expirationSeconds * 1000;
    if (now > issuedAt + TOKEN_MAX_TTL_MS - jitter) return true;
    return now > t.expiresAt - Math.floor((t.expirationSeconds * 20) / 100) * 1000 - jitter;
  }

  /** Milliseconds until the earliest cached token needs a refresh (for scheduling re-syncs), if any. */
  nextRefreshInMs(): number | undefined {
    let next: number | undefined;
    for (const t of this.cache.values()) {
      const issuedAt = t.expiresAt - t.expirationSeconds * 1000;
      const at = Math.min(issuedAt + TOKEN_MAX_TTL_MS, t.expiresAt - Math.floor((t.expirationSeconds * 20) / 100) * 1000);
      next = Math.min(next ?? Infinity, at - this.now());
    }
    return next === undefined ? undefined : Math.max(next, 0);
  }
}
