import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/require-scope.decorator';
import { ApiErrors, ErrorDoc } from '../common/api-errors.decorator';
import { PageQuery } from '../common/page-query';
import { UuidParam } from '../common/validation';
import { ID_PARAM } from '../connections/connections.controller';
import { ActivityPage } from './activity.dto';
import { ActivityService } from './activity.service';

const NOT_FOUND: ErrorDoc = {
  status: 404,
  description:
    'No connection with this id, and no activity kept for one (a deleted connection’s activity is answered until it is older than ACTIVITY_RETENTION_DAYS)',
  code: 'connection_not_found',
  message: 'Connection 0b7e... does not exist',
};

/** A connection's history (docs/operations.md "Activity"). */
@ApiTags('connections')
@Controller('connections')
export class ActivityController {
  constructor(private readonly service: ActivityService) {}

  @RequireScope('connections:read')
  @Get(':id/activity')
  @ApiOperation({
    operationId: 'listConnectionActivity',
    summary: "A connection's activity, newest first, with keyset pagination",
    description:
      'What happened to the connection: connected, reconnected, refreshes and whoami checks (with the service’s failure code), status changes, uninstall, subscriptions, inbound events (their type), proxy calls per hour by status class, deleted. Kept ACTIVITY_RETENTION_DAYS (30), also after the connection is deleted. Never a token, payload or provider text.',
  })
  @ApiParam(ID_PARAM)
  @ApiOkResponse({ type: ActivityPage })
  @ApiErrors(400, NOT_FOUND)
  list(@Param('id', UuidParam) id: string, @Query() query: PageQuery): Promise<ActivityPage> {
    return this.service.page(id, query);
  }
}
