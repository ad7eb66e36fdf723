/**
 * Deploy step: puts the shipped global runbooks (packages/match/runbooks/*.md) into S3 under tenant
 * `global`. Idempotent; run after each deploy with the functions' environment (IR_BUCKET, IR_TABLE, ...):
 *
 *   node --import tsx packages/runtime-aws/scripts/seed-global-runbooks.ts
 */
import { loadConfig } from "../src/config";
import { seedGlobalRunbooks } from "@ir/match";
import { createAwsPorts } from "../src/ports";

const changed = await seedGlobalRunbooks(createAwsPorts(loadConfig()));
console.log(`global runbooks: ${changed} written`);
