import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AppError } from '../common/app-error';
import { CurrentUserId } from '../auth/current-user.decorator';
import { ApiErrors } from '../common/swagger/api-errors.decorator';
import { UserDto } from './user.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth()
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @ApiOperation({ summary: 'The user the access token belongs to' })
  @ApiOkResponse({ type: UserDto })
  @ApiErrors('UNAUTHORIZED')
  async me(@CurrentUserId() userId: string): Promise<UserDto> {
    const user = await this.users.findById(userId);
    // A valid token for a user that no longer exists is as good as no token.
    if (!user) throw new AppError('UNAUTHORIZED', 'The user of this token no longer exists');
    return UserDto.from(user);
  }
}
