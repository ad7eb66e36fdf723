export { notifyStage } from "./stage";
export { maskNotificationSettings, validateTargets } from "./settings";
export { verifyWebhookSignature, signWebhook, TIMESTAMP_HEADER, SIGNATURE_HEADER, DELIVERY_HEADER, DEFAULT_TOLERANCE_SECONDS } from "./webhook/signature";
export { WEBHOOK_VERSION, type WebhookPayload } from "./webhook/payload";
export { isPrivateAddress } from "./ssrf";
export { decide, DEFAULT_RULES, type PolicyRules, type NotifyState, type Decision, type NoticeContext } from "./policy";
export { dedupKey } from "./pagerduty/event";
export { receivers } from "./receivers";
export { stateKey as notifyStateKey } from "./route";
