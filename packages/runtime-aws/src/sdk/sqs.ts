/** The SQS part of the SDK the runtime uses, imported on first use (see LazyClient). */
export {
  ChangeMessageVisibilityCommand, DeleteMessageBatchCommand, GetQueueUrlCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient,
} from "@aws-sdk/client-sqs";
