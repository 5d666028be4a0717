import { DataSource } from 'typeorm';
import { buildDataSourceOptions } from '../../src/database/data-source-options';

/** A fresh in-memory SQLite database built by the migrations, for unit specs of code that owns tables. */
export async function openMemoryDatabase(): Promise<DataSource> {
  const dataSource = new DataSource(
    buildDataSourceOptions({ type: 'sqlite', database: ':memory:', url: 'sqlite::memory:' }),
  );
  await dataSource.initialize();
  await dataSource.runMigrations();
  return dataSource;
}
