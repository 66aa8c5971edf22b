import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { ErrorCode } from './errors';
import { ErrorResponse } from './error-response.dto';

/** One documented error answer. */
export interface ErrorDoc {
  status: number;
  description: string;
  code: ErrorCode;
  message: string;
}

const DESCRIPTIONS: Record<number, Omit<ErrorDoc, 'status'>> = {
  400: { description: 'Invalid input', code: 'validation_failed', message: 'limit must not be greater than 100' },
  401: {
    description: 'Missing or wrong API key',
    code: 'unauthorized',
    message: 'A valid API key is required: Authorization: Bearer <key>',
  },
  404: {
    description: 'No connection with this id',
    code: 'connection_not_found',
    message: 'Connection 0b7e... does not exist',
  },
  409: {
    description: 'The user must reconnect (connection_needs_reauth; connection_revoked: they uninstalled the app)',
    code: 'connection_needs_reauth',
    message: 'Connection 0b7e... must be reconnected by its user through a new connect session',
  },
  413: {
    description: 'Body over 100 kB',
    code: 'payload_too_large',
    message: 'The request body is larger than the 100 kB limit',
  },
  429: {
    description: "The provider's refresh budget is used up (Retry-After)",
    code: 'rate_limited',
    message: 'The refresh budget for this provider is used up; retry shortly',
  },
  502: {
    description: 'The provider failed (Retry-After when it said so)',
    code: 'provider_unavailable',
    message: 'The provider could not be reached or refused the refresh: unavailable',
  },
  503: {
    description: 'Another replica is refreshing (Retry-After)',
    code: 'refresh_in_progress',
    message: 'Another replica is refreshing this connection; retry shortly',
  },
};

/**
 * Documents the error responses of an operation, all with the one ErrorResponse shape: a status with
 * its usual meaning (the table above), or an ErrorDoc where the route means something else by it.
 */
export function ApiErrors(...errors: (number | ErrorDoc)[]) {
  return applyDecorators(
    ...errors.map((error) => {
      const doc = typeof error === 'number' ? { status: error, ...DESCRIPTIONS[error] } : error;
      return ApiResponse({
        status: doc.status,
        description: doc.description,
        type: ErrorResponse,
        example: {
          statusCode: doc.status,
          code: doc.code,
          message: doc.message,
          requestId: '3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11',
        },
      });
    }),
  );
}
