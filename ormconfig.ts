import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { readDatabaseConfig } from './src/config/database.config';
import { EnvReader } from './src/config/env-reader';
import { buildDataSourceOptions } from './src/database/data-source-options';

/**
 * The DataSource for the TypeORM CLI (`npm run migration:run`, `:show`,
 * `:revert`). It reads DATABASE_URL exactly as the app does.
 */
const env = new EnvReader(process.env);
const database = readDatabaseConfig(env);
if (env.errors.length > 0) throw new Error(env.errors.join('; '));

export default new DataSource(buildDataSourceOptions(database));
