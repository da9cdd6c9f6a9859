/**
 * The API service source: every Service of the cluster (all namespaces; the Node authorizer lets a
 * node list and watch them), listed and watched into memory with a reflector, for service link
 * environment variables (upstream's serviceLister).
 */
import type { Service } from "../../bindings/kube/types.ts";
import type { Logger } from "../log.ts";
import type { ApiTransport } from "../ports/api.ts";
import type { Clock } from "../ports/clock.ts";
import { startReflector } from "./reflector.ts";

/** What the API service source needs. */
export interface ApiServiceSourceOptions {
  api: ApiTransport;
  clock: Clock;
  log: Logger;
  random?: () => number;
}

/** A running API service source. */
export interface ApiServiceSource {
  /** Resolves after the first successful list was stored. */
  readonly synced: Promise<void>;
  /** True once the first list was stored. */
  hasSynced(): boolean;
  /** The Services as last seen (empty before the first list). */
  services(): Service[];
  stop(): void;
}

/** Starts listing and watching; never throws out of its loop. */
export function startApiServiceSource(o: ApiServiceSourceOptions): ApiServiceSource {
  const r = startReflector<Service>({
    api: o.api, path: "/api/v1/services", apiVersion: "v1", kind: "Service", resource: "service",
    clock: o.clock, log: o.log, random: o.random,
  });
  return { synced: r.synced, hasSynced: () => r.hasSynced(), services: () => r.items(), stop: () => r.stop() };
}
