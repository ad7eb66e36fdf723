export { startEmbedded, openStore, HANDLERS, type Embedded, type StartOptions } from "./start";
export { loadConfig } from "./config";
