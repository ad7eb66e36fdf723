import * as z from "zod";

/**
 * Request bodies the routes validate and the OpenAPI document describes. Here, not in the routes: the document is
 * imported on first request, and importing a route module from it would move that module out of the handler's
 * bundle into a chunk shared with the document, which a Lambda then loads at cold start.
 */
export const ResolveBody = z.object({
  resolution: z.string().trim().min(1).max(10_000),
  resolved_by: z.string().trim().min(1).max(200),
  runbook_id: z.string().max(100).optional(),
});
export const CommentBody = z.object({ user: z.string().trim().min(1).max(200), comment: z.string().trim().min(1).max(10_000) });
export const CreateKey = z.object({ label: z.string().trim().min(1).max(100) });
export const RotateKey = z.object({ overlap_seconds: z.number().int().min(0).max(30 * 86_400).optional() });
