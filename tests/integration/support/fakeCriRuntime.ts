/**
 * A stand-in CRI runtime (grpc-js server on a unix socket) for the failure paths a real
 * containerd will not show on demand: a runtime that vanishes, restarts, or never answers.
 * It serves RuntimeService.Version and a Status that never replies; everything else is Unimplemented.
 */
import * as grpc from "@grpc/grpc-js";
import { fromJSON } from "@grpc/proto-loader";
import { rmSync } from "node:fs";
import { CRI_API_DESCRIPTOR } from "../../../bindings/cri/apiDescriptor.ts";

/** A running fake runtime. */
export interface FakeCriRuntime {
  socketPath: string;
  /** Stops serving at once and removes the socket, like a crashed runtime. */
  kill(): void;
}

function runtimeServiceDefinition(): grpc.ServiceDefinition {
  const definition = fromJSON(CRI_API_DESCRIPTOR as Parameters<typeof fromJSON>[0], { longs: Number, enums: String, defaults: true });
  const v1 = (grpc.loadPackageDefinition(definition) as unknown as { runtime: { v1: Record<string, grpc.ServiceClientConstructor> } }).runtime.v1;
  return v1.RuntimeService!.service;
}

/** Starts a fake runtime listening on `socketPath`. */
export async function startFakeCriRuntime(socketPath: string): Promise<FakeCriRuntime> {
  const server = new grpc.Server();
  server.addService(runtimeServiceDefinition(), {
    Version: (_call: unknown, callback: grpc.sendUnaryData<object>) =>
      callback(null, { version: "0.1.0", runtimeName: "fake", runtimeVersion: "0.0.0", runtimeApiVersion: "v1" }),
    Status: () => {
      // never answers: for deadline and cancellation tests
    },
  });
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`unix://${socketPath}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
  return {
    socketPath,
    kill: () => {
      server.forceShutdown();
      rmSync(socketPath, { force: true });
    },
  };
}
