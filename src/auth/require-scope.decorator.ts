import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiExtension, ApiResponse } from '@nestjs/swagger';
import { ErrorResponse } from '../common/error-response.dto';
import { Scope } from './scopes';

export const REQUIRED_SCOPE = 'auth:requiredScope';

const EXAMPLE_REQUEST_ID = '3f1c2a9e-6b0d-4e8e-9a51-2b8f0c6d7e11';

/**
 * The scope an API key needs for this route (or every route of a controller), checked by
 * ApiKeyGuard. Also documents it: the `x-required-scopes` extension, the bearer requirement and the
 * 401/403 answers (buildOpenApiDocument adds a sentence to the operation's description).
 * A route with neither @RequireScope nor @Public needs `admin`.
 */
export function RequireScope(scope: Scope) {
  return applyDecorators(
    SetMetadata(REQUIRED_SCOPE, scope),
    ApiBearerAuth(),
    ApiExtension('x-required-scopes', [scope]),
    ApiResponse({
      status: 401,
      description: 'Missing, unknown, malformed or revoked API key',
      type: ErrorResponse,
      example: {
        statusCode: 401,
        code: 'unauthorized',
        message: 'A valid API key is required: Authorization: Bearer <key>',
        requestId: EXAMPLE_REQUEST_ID,
      },
    }),
    ApiResponse({
      status: 403,
      description: `The API key does not have the \`${scope}\` scope`,
      type: ErrorResponse,
      example: {
        statusCode: 403,
        code: 'insufficient_scope',
        message: `This API key does not have the scope this route needs: ${scope}`,
        requestId: EXAMPLE_REQUEST_ID,
        requiredScope: scope,
      },
    }),
  );
}
