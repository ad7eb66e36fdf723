/** SQS message attributes of a raw message on the ingest queue. */
export const API_KEY_ATTRIBUTE = "ir-api-key";
/** Set only by the AWS runtime, for CloudWatch events a customer's EventBridge rule forwarded to our bus. */
export const FORWARDED_ATTRIBUTE = "ir-forwarded";
export const AWS_ACCOUNT_ATTRIBUTE = "ir-aws-account";
