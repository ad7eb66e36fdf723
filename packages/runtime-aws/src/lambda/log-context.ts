import type { MiddlewareObj } from "@middy/core";
import type { Context } from "aws-lambda";
import type { Logger } from "@ir/core";

export interface LoggingContext extends Context { log: Logger }

let coldStart = true;

/** Binds the invocation's request id (and whether this was a cold start) to every line logged while it runs. */
export const logContext = <TEvent, TResult>(base: Logger): MiddlewareObj<TEvent, TResult, Error, Context> => ({
  before: (request) => {
    (request.context as LoggingContext).log = base.child({ aws_request_id: request.context.awsRequestId, cold_start: coldStart });
    coldStart = false;
  },
  onError: (request) => {
    ((request.context as Partial<LoggingContext>).log ?? base).error({ err: request.error }, "invocation failed");
  },
});

/** The invocation's logger, bound by {@link logContext}. */
export const logOf = (context: Context, fallback: Logger): Logger => (context as Partial<LoggingContext>).log ?? fallback;
