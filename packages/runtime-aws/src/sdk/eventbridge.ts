/** The EventBridge part of the SDK the runtime uses, imported on first use (see LazyClient). */
export { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
