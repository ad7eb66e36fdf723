/** The DynamoDB part of the SDK the runtime uses, imported on first use (see LazyClient). */
export { DynamoDBClient } from "@aws-sdk/client-dynamodb";
export {
  BatchGetCommand, BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
