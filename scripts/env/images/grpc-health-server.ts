/**
 * A gRPC health server for grpc-probe tests (image 127.0.0.1:5000/kts-grpc-health:1, built by
 * scripts/env/runtime-up.sh as an esbuild bundle run by the host's node binary).
 *
 * Serves grpc.health.v1.Health/Check on PORT (default 9090), driven by files so a test can flip it
 * through ExecSync (the image carries busybox):
 *   - /tmp/hang exists: Check never answers (a probe times out);
 *   - service "" (the server as a whole): NOT_SERVING while /tmp/fail exists, else SERVING;
 *   - a service named in SERVICES (comma-separated): NOT_SERVING while /tmp/fail or
 *     /tmp/fail-<service> exists, else SERVING;
 *   - any other service: the NOT_FOUND status the health protocol prescribes.
 */
import { existsSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";

const SERVING = 1;
const NOT_SERVING = 2;

/** HealthCheckRequest { string service = 1; } decoded by hand: one length-delimited field. */
function decodeService(b: Buffer): string {
  let i = 0;
  while (i < b.length) {
    const tag = b[i++]!;
    let len = 0, shift = 0, byte: number;
    do { byte = b[i++]!; len |= (byte & 0x7f) << shift; shift += 7; } while (byte & 0x80);
    if (tag === 0x0a) return b.subarray(i, i + len).toString("utf8");
    if ((tag & 7) !== 2) return "";
    i += len;
  }
  return "";
}

/** HealthCheckResponse { ServingStatus status = 1; }. */
const encodeStatus = (status: number): Buffer => Buffer.from([0x08, status]);

const services = new Set((process.env.SERVICES ?? "").split(",").map((s) => s.trim()).filter(Boolean));

function check(service: string): number | undefined {
  if (service === "") return existsSync("/tmp/fail") ? NOT_SERVING : SERVING;
  if (!services.has(service)) return undefined;
  return existsSync("/tmp/fail") || existsSync(`/tmp/fail-${service}`) ? NOT_SERVING : SERVING;
}

const definition: grpc.ServiceDefinition = {
  Check: {
    path: "/grpc.health.v1.Health/Check",
    requestStream: false,
    responseStream: false,
    requestSerialize: (x: Buffer) => x,
    requestDeserialize: (x: Buffer) => x,
    responseSerialize: (x: Buffer) => x,
    responseDeserialize: (x: Buffer) => x,
  },
};

const server = new grpc.Server();
server.addService(definition, {
  Check(call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) {
    if (existsSync("/tmp/hang")) return; // never answers: the caller's deadline decides
    const service = decodeService(call.request);
    const status = check(service);
    if (status === undefined) callback({ code: grpc.status.NOT_FOUND, details: "unknown service" });
    else callback(null, encodeStatus(status));
  },
});
const port = Number(process.env.PORT ?? 9090);
server.bindAsync(`0.0.0.0:${port}`, grpc.ServerCredentials.createInsecure(), (err) => {
  if (err) {
    process.stderr.write(`grpc-health-server: bind :${port}: ${err.message}\n`);
    process.exit(1);
  }
  process.stdout.write(`grpc-health-server: serving grpc.health.v1.Health on :${port}; services [${[...services].join(" ")}]\n`);
});
const stop = () => server.tryShutdown(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
