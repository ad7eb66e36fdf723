/** The HTTP API (API Gateway HTTP API); its one `$default` route is added with the functions (workers.ts). */
export function createApi() {
  return new sst.aws.ApiGatewayV2("Api", {
    accessLog: { retention: "1 month" },
  });
}
