import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MIGRATION_CONFIG } from '../config/configuration.module';
import { databaseConfig, DatabaseConfig } from '../config/database.config';
import { MigrationConfig } from '../config/load-config';
import { buildDataSourceOptions } from './data-source-options';

/**
 * The TypeORM connection of the app: every entity, the migrations (run at
 * boot), the pool. Features inject their repositories through
 * TypeOrmModule.forFeature and never import anything from here.
 */
@Module({})
export class DatabaseModule {
  static forRoot(): DynamicModule {
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [databaseConfig.KEY, MIGRATION_CONFIG],
          useFactory: (db: DatabaseConfig, migrations: MigrationConfig) => ({
            ...buildDataSourceOptions(db, migrations),
            migrationsRun: true,
          }),
        }),
      ],
    };
  }
}
