/**
 * One unary CRI call on Node: deadline, cancellation by AbortSignal, and translation of gRPC
 * failures into `CriError`s whose text says what to do (e.g. "no such socket; is containerd running?").
 */
import * as grpc from "@grpc/grpc-js";
import { CriError, criErrorCode, type CriCallOptions } from "../../kubelet/ports/cri.ts";
import { diagnoseSocket } from "./criEndpoint.ts";

type UnaryCallback = (err: grpc.ServiceError | null, response?: unknown) => void;
type UnaryMethod = (request: object, metadata: grpc.Metadata, options: grpc.CallOptions, callback: UnaryCallback) => grpc.ClientUnaryCall;

/** How a client makes calls: which socket it reaches and whether calls wait for a connection. */
export interface CallContext {
  socketPath: string;
  /** false: fail at once with Unavailable while disconnected; true: wait until the deadline. */
  waitForReady: boolean;
}

/**
 * Calls `method` (e.g. "RunPodSandbox") on a proto-loader generated client with a deadline of
 * `timeoutMs` (Infinity = none) unless `call.timeoutMs` overrides it.
 */
export function unaryCall<T>(
  client: grpc.Client, method: string, request: object, timeoutMs: number, ctx: CallContext, call?: CriCallOptions,
): Promise<T> {
  const ms = call?.timeoutMs ?? timeoutMs;
  const signal = call?.signal;
  if (signal?.aborted) return Promise.reject(new CriError("Canceled", method, "aborted before the call was made"));
  const fn = (client as unknown as Record<string, UnaryMethod>)[method];
  if (typeof fn !== "function") return Promise.reject(new CriError("Unimplemented", method, "no such method in bindings/cri/api.proto"));
  const metadata = new grpc.Metadata({ waitForReady: ctx.waitForReady });
  const options: grpc.CallOptions = { deadline: Number.isFinite(ms) ? Date.now() + ms : Infinity };
  return new Promise<T>((resolve, reject) => {
    let onAbort: (() => void) | undefined;
    const pending = fn.call(client, request, metadata, options, (err, response) => {
      if (onAbort) signal?.removeEventListener("abort", onAbort);
      if (!err) resolve(response as T);
      else toCriError(err, method, ms, ctx.socketPath).then(reject, reject);
    });
    if (signal) {
      onAbort = () => pending.cancel();
      signal.addEventListener("abort", onAbort, { once: true });
    }
  });
}

/** Turns a gRPC failure into a CriError, explaining connection failures by looking at the socket. */
export async function toCriError(err: grpc.ServiceError, method: string, timeoutMs: number, socketPath: string): Promise<CriError> {
  const code = criErrorCode(err.code);
  let details = err.details || err.message;
  if (code === "Unavailable" || code === "DeadlineExceeded") {
    const why = await diagnoseSocket(socketPath);
    if (why) details = `${why} (${details})`;
    else if (code === "DeadlineExceeded") details = `no answer from the runtime at ${socketPath} within ${timeoutMs} ms (${details})`;
    else details = `runtime at ${socketPath} unavailable: ${details}`;
  } else if (code === "Unimplemented" && /unknown service runtime\.v1\./.test(details)) {
    details = `the runtime at ${socketPath} does not serve CRI v1 (runtime.v1); containerd needs its CRI plugin enabled (${details})`;
  }
  return new CriError(code, method, details);
}
