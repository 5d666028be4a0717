import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { readEnvironment } from './src/config/environment';
import { loadConfig } from './src/config/load-config';
import { buildDataSourceOptions } from './src/database/data-source-options';

/**
 * The DataSource for the TypeORM CLI (`npm run migration:run`, `:show`,
 * `:revert`). It reads the environment (and `.env`) exactly as the app does,
 * but needs only DATABASE_URL to be valid: a migration that needs the
 * primary AppID gets it from the configuration and refuses to guess it.
 */
const { config, errors } = loadConfig(readEnvironment());
const problems = errors.filter((error) => error.startsWith('DATABASE_URL '));
if (problems.length > 0) throw new Error(problems.join('; '));

export default new DataSource(buildDataSourceOptions(config.database, config.migrations));
