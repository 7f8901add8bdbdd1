/**
 * Malformed or oversized input from a client. It is a SqlError so that the one
 * error-to-ErrorResponse mapping handles it; severity FATAL because after a framing or
 * decoding error the byte stream can no longer be trusted, so the connection is closed.
 */
import { SqlError, SqlState } from '@freshet/common';

export class ProtocolError extends SqlError {
  constructor(message: string, code: string = SqlState.ProtocolViolation) {
    super(code, message, { severity: 'FATAL' });
    this.name = 'ProtocolError';
  }
}
