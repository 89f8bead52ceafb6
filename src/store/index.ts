export { type ChangeFeed, type ChangeTopic, changeChannel, createChangeFeed, publishChange } from './change-feed.ts';
export { assertDataDirUnlocked, storeFormatVersion } from './data-dir.ts';
export type {
  Database,
  Queryable,
  QueryResult,
  Row,
  StoreCapabilities,
  StoreMode,
} from './database.ts';
export { type BackupResult, backupEmbeddedStore, restoreEmbeddedStore } from './embedded-backup.ts';
export { storeErrorCodes } from './error-codes.ts';
export { corpusTables, measureStorage, type StorageFootprint } from './footprint.ts';
export { loadMigrations, type Migration, type MigrationStatus, migrate, migrationStatus } from './migrate.ts';
export { attachStore, type OpenedPool, type OpenStoreOptions, openStore } from './open-store.ts';
export { redactDatabaseUrl } from './store-errors.ts';
