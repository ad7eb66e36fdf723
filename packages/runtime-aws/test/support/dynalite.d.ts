declare module "dynalite" {
  import type { Server } from "node:http";
  /** dynalite ships no types: an http.Server serving the DynamoDB API, in memory unless `path` is given. */
  export default function dynalite(options?: { path?: string; createTableMs?: number; deleteTableMs?: number; updateTableMs?: number; maxItemSizeKb?: number }): Server;
}
