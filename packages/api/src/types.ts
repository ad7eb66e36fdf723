/** The HTTP contract is served by one framework-neutral handler; node:http and API Gateway are thin wrappers. */
export interface ApiRequest {
  method: string;
  /** Path without the query string, e.g. `/api/v1/incidents/inc_1`. */
  path: string;
  query: URLSearchParams;
  /** Lower-cased header names. */
  headers: Record<string, string | undefined>;
  body: string;
  /** Client address, for rate limiting and logs. */
  remoteAddress?: string;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type ApiHandler = (req: ApiRequest) => Promise<ApiResponse>;
