/** Per-tenant partitioning names, shared by every adapter so isolation is spelled one way. */
export const tenantNamespace = (tenantId: string) => `tenant_${tenantId}`;
export const GLOBAL_TENANT = "global";
export const monthOf = (iso: string) => iso.slice(0, 7);
