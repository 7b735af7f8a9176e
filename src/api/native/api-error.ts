/**
 * The error a client of the native API throws for an error answer: one class, shared by the CLI and the
 * dashboard bundle (it imports only types, so it pulls no server code into either). Its arguments come in the
 * order of the server's own errors: code, message, status.
 */
import type { ErrorAnswer } from './contract.js';

/** An error answered by the server, with its code (e.g. ResourceNotFoundException) and HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** The HTTP status; 0 when no server answered. */
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /**
   * The error of a non-2xx answer from its status and body (parsed JSON, or text): the body's
   * `{error: {code, message}}` when it has one, else `Http<status>` and `fallbackMessage`.
   */
  static fromAnswer(status: number, body: unknown, fallbackMessage: string): ApiError {
    const error = (body as Partial<ErrorAnswer> | null | undefined)?.error;
    return new ApiError(error?.code ?? `Http${status}`, error?.message ?? fallbackMessage, status);
  }
}
