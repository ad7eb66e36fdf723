import { loadConfig } from "./config";
import { createAwsPorts, type AwsPorts } from "./ports";

let ports: AwsPorts | undefined;

/**
 * The container's ports, built on first call (at module init in every handler, which Lambda runs once per
 * container before the first invocation). A bad setting throws here, naming it, and the init fails.
 */
export const containerPorts = (): AwsPorts => (ports ??= createAwsPorts(loadConfig()));
