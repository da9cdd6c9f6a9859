/**
 * A client-side rate limit on an ApiTransport, as client-go's token bucket (kubeAPIQPS after a
 * burst of kubeAPIBurst): requests and watch starts wait for a token, in order. kubelet-ts applies
 * it only when kubeAPIQPS is configured (upstream's default is 5 QPS / burst 10; kubelet-ts's
 * status manager already coalesces writes, so it runs unthrottled unless told otherwise).
 */
import type { ApiRequest, ApiResponse, ApiTransport, WatchEvent } from "../ports/api.ts";
import type { Clock } from "../ports/clock.ts";

/** A token bucket: `take()` resolves when a token is available (FIFO). */
export class TokenBucket {
  private tokens: number;
  private at: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly qps: number, private readonly burst: number, private readonly clock: Clock) {
    this.tokens = Math.max(1, burst);
    this.at = clock.now();
  }

  take(): Promise<void> {
    const next = this.queue.then(() => this.wait());
    this.queue = next;
    return next;
  }

  private async wait(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      this.tokens = Math.min(Math.max(1, this.burst), this.tokens + ((now - this.at) / 1000) * this.qps);
      this.at = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.clock.sleep(Math.ceil(((1 - this.tokens) / this.qps) * 1000));
    }
  }
}

/** `api` with requests and watch starts limited to `qps` after `burst`; `qps` ≤ 0 returns `api` unchanged. */
export function rateLimitedApi(api: ApiTransport, qps: number, burst: number, clock: Clock): ApiTransport {
  if (!(qps > 0)) return api;
  const bucket = new TokenBucket(qps, burst, clock);
  return {
    get server() {
      return api.server;
    },
    async request<T = unknown>(req: ApiRequest): Promise<ApiResponse<T>> {
      await bucket.take();
      return api.request<T>(req);
    },
    async watch<T = unknown>(path: string, query: ApiRequest["query"], onEvent: (e: WatchEvent<T>) => void, signal?: AbortSignal): Promise<void> {
      await bucket.take();
      return api.watch<T>(path, query, onEvent, signal);
    },
    close: () => api.close(),
  };
}
