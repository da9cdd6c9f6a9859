/** A scripted API for reflector tests: list answers from a queue, watches the test drives event by event. */
import type { ApiRequest, ApiTransport, WatchEvent } from "../../../kubelet/ports/api.ts";

/** One open watch the test drives: send events, end the stream, or fail it. */
export interface OpenWatch {
  path: string;
  query: ApiRequest["query"];
  send(e: WatchEvent<unknown>): void;
  end(): void;
  fail(err: Error): void;
}

/** An API whose list answers come from a queue and whose watches stay open until the test ends them. */
export function scriptedApi<Item = unknown>() {
  const lists: Array<{ items: Item[]; rv: string } | Error> = [];
  const listCalls: ApiRequest[] = [];
  const watches: OpenWatch[] = [];
  const api: ApiTransport = {
    server: "https://fake",
    request: async <T>(req: ApiRequest) => {
      listCalls.push(req);
      const next = lists.shift() ?? new Error("no list answer scripted");
      if (next instanceof Error) throw next;
      return { status: 200, body: { apiVersion: "v1", kind: "List", items: structuredClone(next.items), metadata: { resourceVersion: next.rv } } as T };
    },
    watch: (path, query, onEvent, signal) => new Promise<void>((resolve, reject) => {
      signal?.addEventListener("abort", () => reject(new Error("aborted")));
      watches.push({ path, query, send: (e) => onEvent(e as WatchEvent<never>), end: resolve, fail: reject });
    }),
    close: () => undefined,
  };
  return { api, lists, listCalls, watches };
}
