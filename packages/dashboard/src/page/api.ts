/// <reference lib="dom" />

/** The key lives for the browser tab only (sessionStorage), never in a cookie or the URL. */
const KEY = "ir.apiKey";
export const storedKey = () => sessionStorage.getItem(KEY);
export const storeKey = (key: string) => sessionStorage.setItem(KEY, key);
export const forgetKey = () => sessionStorage.removeItem(KEY);

export class ApiError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

/** Same-origin calls to the API the page is served by. A 401 forgets the key so the key form shows again. */
export async function call<T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const key = storedKey();
  if (!key) throw new ApiError(401, "no API key");
  const res = await fetch(path, {
    method: init.method ?? "GET",
    headers: { "x-api-key": key, ...(init.body === undefined ? {} : { "content-type": "application/json" }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const body = await res.json().catch(() => null);
  if (res.status === 401) forgetKey();
  if (!res.ok) throw new ApiError(res.status, body?.error?.message ?? `HTTP ${res.status}`);
  return body as T;
}
