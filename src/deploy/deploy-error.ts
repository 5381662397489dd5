import { MoorError } from "../errors.ts";

/**
 * A deploy that was refused before it changed anything (`rolledBack` undefined), or that failed
 * and was undone (true) or could not be undone completely (false).
 */
export class DeployError extends MoorError {
  constructor(
    message: string,
    readonly rolledBack?: boolean,
  ) {
    super("conflict", message);
  }
}
