/**
 * The National Tax Agency's corporate-number data (CP 3.2.2.1: a Qualified Government Information Source), as the
 * operator imported it (`npm run admin -- registry import <file>`): the current record of every corporate number and
 * one row per imported file. The columns are those of the NTA Unicode CSV (domain/nta-registry.ts, in the same
 * order; a unit test keeps them equal), dates as dates, the rest as the text the file carries.
 */
import { date, index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { bytea, ts } from './columns';

/** One imported file (full data or a daily diff): what it changed, for the records (BR 5.4.1). */
export const registryImports = pgTable('registry_imports', {
  id: uuid('id').primaryKey().defaultRandom(),
  fileName: text('file_name').notNull(),
  sha256: bytea('sha256').notNull(),
  rows: integer('rows').notNull(),
  inserted: integer('inserted').notNull(),
  updated: integer('updated').notNull(),
  /** Rows already in the registry with the same or a newer update date: an idempotent re-import changes nothing. */
  unchanged: integer('unchanged').notNull(),
  closed: integer('closed').notNull(),
  actor: text('actor').notNull(),
  startedAt: ts('started_at').notNull(),
  finishedAt: ts('finished_at').notNull(),
}, (t) => [index('registry_imports_sha256_idx').on(t.sha256)]);

/** The latest record of each corporate number (最新履歴 = 1), merged from the imports by update date. */
export const registryCorporations = pgTable('registry_corporations', {
  sequenceNumber: text('sequence_number').notNull(),
  corporateNumber: text('corporate_number').primaryKey(),
  process: text('process').notNull(),
  correct: text('correct').notNull(),
  updateDate: date('update_date', { mode: 'string' }).notNull(),
  changeDate: date('change_date', { mode: 'string' }),
  name: text('name').notNull(),
  nameImageId: text('name_image_id'),
  kind: text('kind').notNull(),
  prefectureName: text('prefecture_name').notNull(),
  cityName: text('city_name').notNull(),
  streetNumber: text('street_number').notNull(),
  addressImageId: text('address_image_id'),
  prefectureCode: text('prefecture_code'),
  cityCode: text('city_code'),
  postCode: text('post_code'),
  addressOutside: text('address_outside'),
  addressOutsideImageId: text('address_outside_image_id'),
  closeDate: date('close_date', { mode: 'string' }),
  closeCause: text('close_cause'),
  successorCorporateNumber: text('successor_corporate_number'),
  changeCause: text('change_cause'),
  assignmentDate: date('assignment_date', { mode: 'string' }),
  latest: text('latest').notNull(),
  enName: text('en_name'),
  enPrefectureName: text('en_prefecture_name'),
  enCityName: text('en_city_name'),
  enAddressOutside: text('en_address_outside'),
  furigana: text('furigana'),
  hihyoji: text('hihyoji'),
  /** The import that wrote this version of the record. */
  importId: uuid('import_id').notNull().references(() => registryImports.id),
});
