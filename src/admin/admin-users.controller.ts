import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { ApiErrors } from '../common/swagger/api-errors.decorator';
import { AdminApi, RequestId } from './admin-route.decorator';
import { AdminUsersService } from './admin-users.service';
import { AdminUserDto, BlockUserBody, OptionalReasonBody, UserLookupQuery } from './admin.dto';

@AdminApi()
@Controller('admin/users')
export class AdminUsersController {
  constructor(private readonly users: AdminUsersService) {}

  @Get()
  @ApiOperation({
    summary: 'Look a user up by phone, openid, unionid or id',
    description:
      'With the WeChat bindings, live sessions, block state and the latest admin actions. An empty list when none matches.',
  })
  @ApiOkResponse({ type: [AdminUserDto] })
  @ApiErrors('VALIDATION_FAILED')
  lookUp(@Query() query: UserLookupQuery): Promise<AdminUserDto[]> {
    return this.users.lookUp(query);
  }

  @Post(':id/block')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Block a user',
    description:
      '403 USER_BLOCKED on every login path and on refresh at once, on Bearer routes within seconds. Sessions are kept (unblocking restores them).',
  })
  @ApiNoContentResponse()
  @ApiErrors('VALIDATION_FAILED', 'USER_NOT_FOUND')
  block(@Param('id') id: string, @Body() body: BlockUserBody, @RequestId() requestId: string) {
    return this.users.block(id, body.reason, requestId);
  }

  @Post(':id/unblock')
  @HttpCode(204)
  @ApiOperation({ summary: 'Unblock a user' })
  @ApiNoContentResponse()
  @ApiErrors('VALIDATION_FAILED', 'USER_NOT_FOUND')
  unblock(
    @Param('id') id: string,
    @Body() body: OptionalReasonBody,
    @RequestId() requestId: string,
  ) {
    return this.users.unblock(id, body.reason, requestId);
  }

  @Post(':id/revoke-sessions')
  @HttpCode(204)
  @ApiOperation({
    summary: "Revoke all the user's sessions",
    description:
      'Every refresh token is revoked: the user must log in again once the current access token expires (JWT_ACCESS_TTL). Block the user to stop access tokens too.',
  })
  @ApiNoContentResponse()
  @ApiErrors('VALIDATION_FAILED', 'USER_NOT_FOUND')
  revokeSessions(
    @Param('id') id: string,
    @Body() body: OptionalReasonBody,
    @RequestId() requestId: string,
  ) {
    return this.users.revokeSessions(id, body.reason, requestId);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete a user, as the user deleting their own account would',
    description:
      'The phone can then register again as a new user; access tokens are refused within seconds.',
  })
  @ApiNoContentResponse()
  @ApiErrors('VALIDATION_FAILED', 'USER_NOT_FOUND')
  delete(
    @Param('id') id: string,
    @Body() body: OptionalReasonBody,
    @RequestId() requestId: string,
  ) {
    return this.users.delete(id, body.reason, requestId);
  }
}
