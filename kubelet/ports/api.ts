/**
 * The `ApiTransport` port: HTTPS to the Kubernetes API server with the kubeconfig's credentials.
 * JSON requests and streaming watches; hosts implement it (hosts/node/apiTransport.ts).
 */

/** One API request; `path` is absolute (e.g. `/api/v1/nodes/n1`), `query` is encoded by the transport. */
export interface ApiRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  /** For PATCH: "application/merge-patch+json" (default), "application/strategic-merge-patch+json", "application/json-patch+json". */
  contentType?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A decoded response; `body` is the parsed JSON (a Status object on errors). */
export interface ApiResponse<T = unknown> { status: number; body: T }

/** A metav1.Status as the API server returns on errors. */
export interface ApiStatus { kind?: "Status"; status?: string; message?: string; reason?: string; code?: number; details?: unknown }

/** One watch event. */
export interface WatchEvent<T> { type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR"; object: T }

/** An API call that failed with an HTTP status (4xx/5xx), with the server's Status. */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(readonly status: number, readonly reason: string, readonly apiStatus: ApiStatus | undefined, what: string) {
    super(`${what}: ${status} ${reason}${apiStatus?.message ? `: ${apiStatus.message}` : ""}`);
  }
}

/** The API server could not be reached; `code` is the system error (e.g. ECONNREFUSED) when known. */
export class ApiUnreachableError extends Error {
  override readonly name = "ApiUnreachableError";
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

/** True when nothing listens at the API server's address (it is down or restarting). */
export function isConnectionRefused(err: unknown): boolean {
  return err instanceof ApiUnreachableError && err.code === "ECONNREFUSED";
}

/** True for an ApiError with the given HTTP status. */
export function isApiError(err: unknown, status?: number): err is ApiError {
  return err instanceof ApiError && (status === undefined || err.status === status);
}

/** The API server connection. */
export interface ApiTransport {
  /** The server URL, for messages. */
  readonly server: string;
  /** Sends a request; resolves for 2xx, rejects with ApiError for other statuses, with Error when unreachable. */
  request<T = unknown>(req: ApiRequest): Promise<ApiResponse<T>>;
  /**
   * Streams a watch (`?watch=true` is added): calls `onEvent` for each event until the server ends the
   * stream, `signal` aborts, or the connection fails (then it rejects). Resolves when the stream ends.
   */
  watch<T = unknown>(path: string, query: ApiRequest["query"], onEvent: (e: WatchEvent<T>) => void, signal?: AbortSignal): Promise<void>;
  close(): void;
}
