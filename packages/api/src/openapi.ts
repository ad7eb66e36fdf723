import { AlarmReport, Incident, IncidentStatus, NotificationSettings, Outcome, RunbookInput, Runbook } from "@ir/core";
import { createDocument, type ZodOpenApiOperationObject } from "zod-openapi";
import * as z from "zod";
import { CreateTenant } from "./routes/tenants";
import { CommentBody, CreateKey, ResolveBody, RotateKey } from "./request-bodies";
import { SettingsPatch, SettingsView } from "./routes/settings";

const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
const body = (schema: z.ZodType) => ({ content: { "application/json": { schema } } });
const ok = (description: string, schema: z.ZodType = z.object({}).loose()) => ({ description, ...body(schema) });
const errors = {
  "400": ok("invalid input; the message names the field", ErrorBody),
  "401": ok("missing or invalid key", ErrorBody),
  "404": ok("not found (also another tenant's object)", ErrorBody),
};
const TENANT_SECURITY: Array<Record<string, string[]>> = [{ apiKey: [] }, { bearer: [] }, { basic: [] }];
const rateLimited = { "429": ok("past the tenant's ingest rate (its plan's, or the one agreed for an enterprise tenant); Retry-After says when to try again", ErrorBody) };
const tenantOp = (summary: string, extra: Omit<ZodOpenApiOperationObject, "summary">): ZodOpenApiOperationObject => ({ summary, security: TENANT_SECURITY, ...extra });
/** The `{name}` segments of a path template, declared as OpenAPI requires. */
const inPath = (...names: string[]) => ({ requestParams: { path: z.object(Object.fromEntries(names.map((n) => [n, z.string().max(256)]))) } });
/** Query parameters as the routes read them (intParam's bounds). */
const inQuery = (shape: z.ZodRawShape) => ({ requestParams: { query: z.object(shape) } });
const page = (max: number) => ({ limit: z.int().min(1).max(max).optional(), cursor: z.string().optional().meta({ description: "next_cursor of the previous page" }) });
const wait = { wait: z.int().min(0).max(30).optional().meta({ description: "seconds to wait for the decision" }) };
/** What an alarm's outcome is before its decision. */
const Queued = z.object({ alarm_id: z.string(), status: z.literal("queued") });

/** Generated from the same zod schemas that validate requests, so the document cannot drift from the code. */
export const openApiDocument = () =>
  createDocument({
    openapi: "3.1.0",
    info: { title: "Incident Responder", version: "1.0.0", description: "Report alarms, get deduplicated incidents, runbooks and notifications." },
    components: {
      securitySchemes: {
        apiKey: { type: "apiKey", in: "header", name: "X-API-Key" },
        bearer: { type: "http", scheme: "bearer" },
        basic: { type: "http", scheme: "basic", description: "the API key as password (or as user, password empty)" },
        admin: { type: "apiKey", in: "header", name: "X-Admin-Key" },
      },
    },
    paths: {
      "/healthz": { get: { summary: "readiness", responses: { "200": ok("ready") } } },
      "/api/v1/admin/tenants": {
        post: { summary: "create a tenant", security: [{ admin: [] }], requestBody: body(CreateTenant), responses: { "201": ok("created", z.object({ tenant_id: z.string(), api_key: z.string(), plan: z.string() })), ...errors } },
      },
      "/api/v1/incidents": {
        post: tenantOp("report an alarm", {
          requestParams: { query: z.object(wait), header: z.object({ "Idempotency-Key": z.string().max(256).optional() }) },
          requestBody: body(AlarmReport),
          responses: { "200": ok("decided within ?wait", Outcome), "202": ok("queued", Queued), "402": ok("plan limit", ErrorBody), "413": ok("body too large", ErrorBody), ...rateLimited, ...errors },
        }),
        get: tenantOp("list incidents, newest first", { ...inQuery({ status: IncidentStatus.optional(), service: z.string().optional(), ...page(500) }), responses: { "200": ok("a page", z.object({ incidents: z.array(Incident), next_cursor: z.string().nullable() })), ...errors } }),
      },
      "/api/v1/alarms/{alarm_id}": {
        get: tenantOp("an alarm's outcome", { requestParams: { ...inPath("alarm_id").requestParams, query: z.object(wait) }, responses: { "200": ok("queued or decided", z.union([Outcome, Queued])), ...errors } }),
      },
      "/api/v1/incidents/{incident_id}": { get: tenantOp("an incident", { ...inPath("incident_id"), responses: { "200": ok("the document", Incident), ...errors } }) },
      "/api/v1/incidents/{incident_id}/resolve": {
        post: tenantOp("resolve, crediting the runbook used", { ...inPath("incident_id"), requestBody: body(ResolveBody), responses: { "200": ok("resolved (or this same resolution again)"), ...errors, "409": ok("already resolved by another resolution; nothing changed", ErrorBody) } }),
      },
      "/api/v1/incidents/{incident_id}/comments": { post: tenantOp("comment", { ...inPath("incident_id"), requestBody: body(CommentBody), responses: { "201": ok("added"), ...errors } }) },
      "/api/v1/runbooks": {
        post: tenantOp("create a runbook", { requestBody: body(RunbookInput), responses: { "201": ok("created", z.object({ runbook_id: z.string() })), ...errors } }),
        get: tenantOp("list runbooks", { ...inQuery(page(500)), responses: { "200": ok("a page", z.object({ runbooks: z.array(Runbook), next_cursor: z.string().nullable() })), ...errors } }),
      },
      "/api/v1/runbooks/suggestions": { get: tenantOp("draft runbooks for problems resolved by hand alike, three times or more", { responses: { "200": ok("suggestions"), ...errors } }) },
      "/api/v1/runbooks/suggestions/{suggestion_id}/accept": {
        post: tenantOp("create the suggested runbook; the body may edit title, content, tags", { ...inPath("suggestion_id"), requestBody: body(RunbookInput.partial()), responses: { "201": ok("created", z.object({ runbook_id: z.string(), suggestion_id: z.string() })), "402": ok("plan limit", ErrorBody), ...errors } }),
      },
      "/api/v1/runbooks/{runbook_id}": {
        get: tenantOp("a runbook", { ...inPath("runbook_id"), responses: { "200": ok("the runbook", Runbook), ...errors } }),
        put: tenantOp("replace a runbook", { ...inPath("runbook_id"), requestBody: body(RunbookInput), responses: { "200": ok("updated", Runbook), ...errors } }),
        delete: tenantOp("delete a runbook", { ...inPath("runbook_id"), responses: { "200": ok("deleted"), ...errors } }),
      },
      "/api/v1/analytics": {
        get: tenantOp("dashboard figures over whole UTC days (default: the last 30)", {
          parameters: ["from", "to", "service"].map((name) => ({ name, in: "query" as const, schema: { type: "string" as const } })),
          responses: { "200": ok("figures, trends and the assumptions behind estimates"), ...errors },
        }),
      },
      "/api/v1/ingest/alertmanager": { post: tenantOp("Alertmanager webhook (version 4)", { responses: { "202": ok("queued"), "402": ok("plan limit: nothing in it would get through", ErrorBody), ...rateLimited, ...errors } }) },
      "/api/v1/ingest/cloudwatch": { post: tenantOp("CloudWatch alarm via EventBridge or SNS", { responses: { "202": ok("queued"), "402": ok("plan limit", ErrorBody), ...rateLimited, ...errors } }) },
      "/api/v1/notifications": {
        put: tenantOp("set notification routing; a webhook channel without `secret` gets a signing secret, shown once in this answer", { requestBody: body(NotificationSettings), responses: { "200": ok("saved, secrets masked except the webhook signing secrets this call generated"), ...errors } }),
        get: tenantOp("notification routing, secrets masked", { responses: { "200": ok("settings"), ...errors } }),
      },
      "/api/v1/settings": {
        get: tenantOp("how CloudWatch alarms are read, and the AWS accounts claimed with each claim's status", { responses: { "200": ok("settings", SettingsView), ...errors } }),
        patch: tenantOp("change settings; aws_account_ids is the whole list: new accounts start pending with a verification code", {
          requestBody: body(SettingsPatch),
          responses: { "200": ok("saved", SettingsView), "409": ok("an account is verified by another tenant", ErrorBody), ...errors },
        }),
      },
      "/api/v1/keys": {
        post: tenantOp("create a key (shown once)", { requestBody: body(CreateKey), responses: { "201": ok("created"), ...errors } }),
        get: tenantOp("list keys (prefix only)", { responses: { "200": ok("keys"), ...errors } }),
      },
      "/api/v1/keys/{key_id}": { delete: tenantOp("revoke a key", { ...inPath("key_id"), responses: { "200": ok("revoked"), "409": ok("the tenant's last key that does not expire: rotate it instead", ErrorBody), ...errors } }) },
      "/api/v1/keys/{key_id}/rotate": { post: tenantOp("rotate with an overlap window (body optional)", { ...inPath("key_id"), requestBody: body(RotateKey), responses: { "201": ok("new key"), ...errors } }) },
      "/api/v1/usage": { get: tenantOp("this month's usage against the plan", { responses: { "200": ok("usage"), ...errors } }) },
      "/api/v1/audit": { get: tenantOp("append-only audit trail, newest first", { ...inQuery(page(1000)), responses: { "200": ok("a page"), ...errors } }) },
      "/api/v1/dlq": { get: tenantOp("dead-lettered messages", { ...inQuery(page(500)), responses: { "200": ok("a page"), ...errors } }) },
      "/api/v1/dlq/{dead_letter_id}/replay": { post: tenantOp("queue a dead-lettered message again", { ...inPath("dead_letter_id"), responses: { "202": ok("queued again"), ...errors } }) },
      "/api/v1/tenant": { delete: tenantOp("erase all of this tenant's data", { responses: { "200": ok("deleted"), ...errors } }) },
    },
  });
