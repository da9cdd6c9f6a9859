/**
 * The standard gRPC health check (grpc.health.v1.Health/Check) for grpc probes, over @grpc/grpc-js,
 * with upstream's semantics (pkg/probe/grpc): a blocking dial bounded by the probe timeout, then one
 * Check call within what is left of it; failures worded as upstream's probe messages.
 */
import * as grpc from "@grpc/grpc-js";

const STATUS = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];

/** Go's codes.Code names (grpc-go's `code = NotFound` spelling), by numeric code. */
const GO_CODE = ["OK", "Canceled", "Unknown", "InvalidArgument", "DeadlineExceeded", "NotFound", "AlreadyExists",
  "PermissionDenied", "ResourceExhausted", "FailedPrecondition", "Aborted", "OutOfRange", "Unimplemented", "Internal",
  "Unavailable", "DataLoss", "Unauthenticated"];

/** Encodes HealthCheckRequest { string service = 1; } by hand: the message has one field. */
function encodeRequest(service: string): Buffer {
  const s = Buffer.from(service, "utf8");
  if (s.length === 0) return Buffer.alloc(0);
  return Buffer.concat([Buffer.from([0x0a]), varint(s.length), s]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 127) { out.push((n & 0x7f) | 0x80); n >>>= 7; }
  out.push(n);
  return Buffer.from(out);
}

/** Decodes HealthCheckResponse { ServingStatus status = 1; } (enum as varint); absent means UNKNOWN. */
function decodeStatus(b: Buffer): string {
  for (let i = 0; i < b.length;) {
    const tag = b[i++]!;
    if (tag === 0x08) {
      let v = 0, shift = 0, byte: number;
      do { byte = b[i++]!; v |= (byte & 0x7f) << shift; shift += 7; } while (byte & 0x80);
      return STATUS[v] ?? `UNKNOWN(${v})`;
    }
    break;
  }
  return "UNKNOWN";
}

/** Go's time.Duration text for whole or fractional seconds (1s, 1.5s). */
const goSeconds = (ms: number) => `${ms / 1000}s`;

/**
 * Calls Health/Check on host:port; resolves to the serving status name (e.g. "SERVING"); rejects
 * with upstream's probe message when the service cannot be reached or the call fails.
 */
export function grpcHealthCheck(host: string, port: number, service: string, timeoutMs: number): Promise<string> {
  const addr = `${host.includes(":") ? `[${host}]` : host}:${port}`;
  const client = new grpc.Client(addr, grpc.credentials.createInsecure(), { "grpc.user_agent": "kube-probe/1.20" });
  const deadline = Date.now() + timeoutMs;
  return new Promise<string>((resolve, reject) => {
    const fail = (message: string) => {
      client.close();
      reject(new Error(message));
    };
    // Upstream dials with WithBlock: a refused connection is retried until the timeout.
    client.waitForReady(deadline, (dialErr) => {
      if (dialErr) return fail(`timeout: failed to connect service ${JSON.stringify(addr)} within ${goSeconds(timeoutMs)}: context deadline exceeded`);
      client.makeUnaryRequest("/grpc.health.v1.Health/Check", (x: Buffer) => x, (x: Buffer) => x, encodeRequest(service),
        { deadline }, (err, res) => {
          if (!err) {
            client.close();
            return resolve(decodeStatus(res!));
          }
          if (err.code === grpc.status.DEADLINE_EXCEEDED) return fail(`timeout: health rpc did not complete within ${goSeconds(timeoutMs)}`);
          if (err.code === grpc.status.UNIMPLEMENTED) return fail(`timeout: server does not implement the grpc health protocol (grpc.health.v1.Health): ${err.details}`);
          fail(`error: health rpc probe failed: rpc error: code = ${GO_CODE[err.code] ?? err.code} desc = ${err.details}`);
        });
    });
  });
}
