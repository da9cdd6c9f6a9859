/** The standard gRPC health check (grpc.health.v1.Health/Check) for grpc probes, over @grpc/grpc-js. */
import * as grpc from "@grpc/grpc-js";

const STATUS = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];

/** Encodes HealthCheckRequest { string service = 1; } by hand: the message has one field. */
function encodeRequest(service: string): Buffer {
  const s = Buffer.from(service, "utf8");
  if (s.length === 0) return Buffer.alloc(0);
  if (s.length > 127) return Buffer.concat([Buffer.from([0x0a]), varint(s.length), s]);
  return Buffer.concat([Buffer.from([0x0a, s.length]), s]);
}

function varint(n: number): Buffer {
  const out: number[] = [];
  while (n > 127) { out.push((n & 0x7f) | 0x80); n >>>= 7; }
  out.push(n);
  return Buffer.from(out);
}

/** Decodes HealthCheckResponse { ServingStatus status = 1; } (enum as varint). */
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

/** Calls Health/Check on host:port; resolves to the serving status name (e.g. "SERVING"). */
export function grpcHealthCheck(host: string, port: number, service: string, timeoutMs: number): Promise<string> {
  const client = new grpc.Client(`${host.includes(":") ? `[${host}]` : host}:${port}`, grpc.credentials.createInsecure());
  return new Promise<string>((resolve, reject) => {
    client.makeUnaryRequest("/grpc.health.v1.Health/Check", (x: Buffer) => x, (x: Buffer) => x, encodeRequest(service),
      { deadline: Date.now() + timeoutMs }, (err, res) => {
        client.close();
        if (err) reject(new Error(err.code === grpc.status.DEADLINE_EXCEEDED ? "timeout: health rpc did not complete within the timeout" : `rpc error: code = ${grpc.status[err.code]} desc = ${err.details}`));
        else resolve(decodeStatus(res!));
      });
  });
}
