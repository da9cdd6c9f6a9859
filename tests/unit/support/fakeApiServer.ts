/** An in-memory API server for node status and lease tests: Nodes, Leases, failure injection. */
import type { Lease, Node } from "../../../bindings/kube/node.ts";
import { ApiError, type ApiRequest, type ApiResponse, type ApiTransport } from "../../../kubelet/ports/api.ts";
import { applyStrategicMerge } from "./strategicMerge.ts";

const LEASES = "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases";

function apiError(status: number, reason: string, message: string, what: string): ApiError {
  return new ApiError(status, reason, { kind: "Status", status: "Failure", reason, code: status, message }, what);
}

/** Answers the requests the node agent makes, like kube-apiserver would. */
export class FakeApiServer implements ApiTransport {
  readonly server = "https://fake-apiserver:6443";
  readonly nodes = new Map<string, Node>();
  readonly leases = new Map<string, Lease>();
  readonly requests: ApiRequest[] = [];
  /** While true every request fails as if the server were unreachable. */
  down = false;
  private rv = 100;
  private readonly failures: Array<{ key: RegExp; error: () => Error; times: number }> = [];

  /** Makes the next `times` requests whose "METHOD path" matches `key` fail with `error`. */
  failNext(key: RegExp, error: () => Error, times = 1): void {
    this.failures.push({ key, error, times });
  }

  /** Requests as "METHOD path" strings, optionally only those matching `filter`. */
  calls(filter?: RegExp): string[] {
    return this.requests.map((r) => `${r.method} ${r.path}`).filter((s) => !filter || filter.test(s));
  }

  private bump<T extends { metadata: { resourceVersion?: string } }>(o: T): T {
    o.metadata.resourceVersion = String(++this.rv);
    return o;
  }

  async request<T = unknown>(req: ApiRequest): Promise<ApiResponse<T>> {
    this.requests.push(structuredClone({ ...req, signal: undefined }));
    await Promise.resolve();
    const what = `${req.method} ${req.path}`;
    if (this.down) throw new Error(`${what}: cannot reach the API server at ${this.server}: connect ECONNREFUSED`);
    const f = this.failures.find((x) => x.times > 0 && x.key.test(what));
    if (f) {
      f.times--;
      throw f.error();
    }
    const ok = (status: number, body: unknown) => ({ status, body: structuredClone(body) as T });
    let m: RegExpMatchArray | null;
    if (req.method === "POST" && req.path === "/api/v1/nodes") {
      const node = structuredClone(req.body as Node);
      const name = node.metadata.name!;
      if (this.nodes.has(name)) throw apiError(409, "AlreadyExists", `nodes "${name}" already exists`, what);
      node.metadata.uid = `uid-${name}`;
      node.metadata.creationTimestamp = "2026-11-22T12:00:00Z";
      this.nodes.set(name, this.bump(node));
      return ok(201, node);
    }
    if ((m = req.path.match(/^\/api\/v1\/nodes\/([^/]+)(\/status)?$/))) {
      const node = this.nodes.get(m[1]!);
      if (!node) throw apiError(404, "NotFound", `nodes "${m[1]}" not found`, what);
      if (req.method === "GET") return ok(200, node);
      if (req.method === "PATCH" && m[2]) {
        const patched = applyStrategicMerge(node, req.body) as Node;
        patched.spec = node.spec; // the status subresource never changes the spec
        this.nodes.set(m[1]!, this.bump(patched));
        return ok(200, patched);
      }
    }
    if (req.method === "POST" && req.path === LEASES) {
      const lease = structuredClone(req.body as Lease);
      if (this.leases.has(lease.metadata.name!)) throw apiError(409, "AlreadyExists", "lease exists", what);
      lease.metadata.uid = `lease-${lease.metadata.name}`;
      this.leases.set(lease.metadata.name!, this.bump(lease));
      return ok(201, lease);
    }
    if ((m = req.path.match(/^\/apis\/coordination\.k8s\.io\/v1\/namespaces\/kube-node-lease\/leases\/([^/]+)$/))) {
      const lease = this.leases.get(m[1]!);
      if (!lease) throw apiError(404, "NotFound", `leases.coordination.k8s.io "${m[1]}" not found`, what);
      if (req.method === "GET") return ok(200, lease);
      if (req.method === "PUT") {
        const next = structuredClone(req.body as Lease);
        if (next.metadata.resourceVersion !== lease.metadata.resourceVersion) {
          throw apiError(409, "Conflict", "the object has been modified; please apply your changes to the latest version and try again", what);
        }
        this.leases.set(m[1]!, this.bump(next));
        return ok(200, next);
      }
    }
    throw apiError(404, "NotFound", `fake apiserver: no route for ${what}`, what);
  }

  watch(): Promise<void> {
    return Promise.reject(new Error("FakeApiServer: watch is not implemented"));
  }

  close(): void {}
}
