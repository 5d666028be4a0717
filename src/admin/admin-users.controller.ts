import {
  applyDecorators,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiOperationOptions,
} from '@nestjs/swagger';
import { ApiErrors } from '../common/swagger/api-errors.decorator';
import { AdminApi, RequestId } from './admin-route.decorator';
import { AdminUsersService } from './admin-users.service';
import { AdminUserDto, BlockUserBody, OptionalReasonBody, UserLookupQuery } from './admin.dto';

/** An action on one user (`:id`): answers 204, or 404 USER_NOT_FOUND. */
function UserAction(route: ReturnType<typeof Post>, operation: ApiOperationOptions) {
  return applyDecorators(
    route,
    HttpCode(204),
    ApiOperation(operation),
    ApiNoContentResponse(),
    ApiErrors('VALIDATION_FAILED', 'USER_NOT_FOUND'),
  );
}

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

  @UserAction(Post(':id/block'), {
    summary: 'Block a user',
    description:
      '403 USER_BLOCKED on every login path and on refresh at once, on Bearer routes within seconds. Sessions are kept (unblocking restores them).',
  })
  block(@Param('id') id: string, @Body() body: BlockUserBody, @RequestId() requestId: string) {
    return this.users.block(id, body.reason, requestId);
  }

  @UserAction(Post(':id/unblock'), { summary: 'Unblock a user' })
  unblock(
    @Param('id') id: string,
    @Body() body: OptionalReasonBody,
    @RequestId() requestId: string,
  ) {
    return this.users.unblock(id, body.reason, requestId);
  }

  @UserAction(Post(':id/revoke-sessions'), {
    summary: "Revoke all the user's sessions",
    description:
      'Every refresh token is revoked: the user must log in again once the current access token expires (JWT_ACCESS_TTL). Block the user to stop access tokens too.',
  })
  revokeSessions(
    @Param('id') id: string,
    @Body() body: OptionalReasonBody,
    @RequestId() requestId: string,
  ) {
    return this.users.revokeSessions(id, body.reason, requestId);
  }

  @UserAction(Delete(':id'), {
    summary: 'Delete a user, as the user deleting their own account would',
    description:
      'The phone can then register again as a new user; access tokens are refused within seconds.',
  })
  delete(
    @Param('id') id: string,
    @Body() body: OptionalReasonBody,
    @RequestId() requestId: string,
  ) {
    return this.users.delete(id, body.reason, requestId);
  }
}
