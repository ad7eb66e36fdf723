/** The S3 part of the SDK the runtime uses, imported on first use (see LazyClient). */
export {
  DeleteObjectCommand, DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client,
} from "@aws-sdk/client-s3";
