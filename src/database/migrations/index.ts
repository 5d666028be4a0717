import { CreateUsers1764100000000 } from './1764100000000-CreateUsers';
import { CreateWechatAccessTokens1764200000000 } from './1764200000000-CreateWechatAccessTokens';
import { CreateRefreshTokens1764300000000 } from './1764300000000-CreateRefreshTokens';
import { PerAppWechatAccounts1764400000000 } from './1764400000000-PerAppWechatAccounts';
import { WechatIdentities1764500000000 } from './1764500000000-WechatIdentities';
import { RefreshFamilyStart1764600000000 } from './1764600000000-RefreshFamilyStart';
import { ForceRefreshLimiter1764700000000 } from './1764700000000-ForceRefreshLimiter';
import { AccountStatus1764800000000 } from './1764800000000-AccountStatus';
import { CreateAvatars1764900000000 } from './1764900000000-CreateAvatars';

import type { MigrationConfig } from '../../config/load-config';

/**
 * In order. Listed explicitly so ts-node (CLI) and the compiled app load the
 * same set. Built from the configuration the migrations need (see
 * MigrationConfig); without it a migration that needs a value refuses to guess.
 */
export const migrationsFor = (config: MigrationConfig = {}) => [
  CreateUsers1764100000000,
  CreateWechatAccessTokens1764200000000,
  CreateRefreshTokens1764300000000,
  PerAppWechatAccounts1764400000000.forPrimaryApp(config.primaryAppId),
  WechatIdentities1764500000000,
  RefreshFamilyStart1764600000000,
  ForceRefreshLimiter1764700000000,
  AccountStatus1764800000000,
  CreateAvatars1764900000000,
];
