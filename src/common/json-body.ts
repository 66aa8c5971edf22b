import express, { RequestHandler } from 'express';
import { DomainError } from './errors';

interface BodyParserError {
  type?: string;
  status?: number;
}

/**
 * express.json with its failures turned into domain errors before Nest sees them: Node's JSON parse
 * message quotes the request body (which may hold a token), so it is replaced, never forwarded.
 */
export function jsonBody(limit: string, limitLabel: string): RequestHandler {
  const parse = express.json({ limit });
  return (req, res, next) =>
    parse(req, res, (error?: unknown) => {
      if (!error) return next();
      const { type, status } = error as BodyParserError;
      if (type === 'entity.parse.failed') return next(new DomainError('invalid_json', 400, 'The request body is not valid JSON'));
      if (type === 'entity.too.large' || status === 413) {
        return next(new DomainError('payload_too_large', 413, `The request body is larger than the ${limitLabel} limit`));
      }
      // Unsupported charset or encoding, aborted upload...: a client error without details.
      return next(new DomainError('validation_failed', typeof status === 'number' && status < 500 ? status : 400, 'The request body could not be read'));
    });
}
