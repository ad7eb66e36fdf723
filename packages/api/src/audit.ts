import type { Ports } from "@ir/core";

export const audit = (ports: Ports, tenantId: string, actor: string, action: string, target: string, details?: Record<string, unknown>) =>
  ports.audit.append({ event_id: ports.newId("aud"), tenant_id: tenantId, at: ports.clock.now().toISOString(), actor, action, target, ...(details ? { details } : {}) });
