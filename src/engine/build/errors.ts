/**
 * A build step that failed while running (not a Dockerfile syntax error): the message goes to
 * the client in the progress stream, with `code` (a RUN's exit status) as docker's errorDetail.
 */
export class BuildStepError extends Error {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
  }
}
