/**
 * The National Tax Agency's corporate-number data (国税庁 法人番号公表サイト, "basic three items"): the layout of its
 * Unicode CSV (リソース定義書), written once as data. The importer's staging table, its COPY column list and the test
 * file generator are all derived from `ntaCsvColumns`, so they cannot disagree about the order. The file has no
 * header row; full data (one file per prefecture, the state at the end of the previous month) and the daily diff
 * files share the layout. This CA's Qualified Government Information Source for CP 3.2.2.1 / 3.2.2.3. Pure.
 */

export interface NtaCsvColumn {
  /** The column of the staging table (and of the generator's row objects). */
  readonly key: string;
  /** The resource definition's item name. */
  readonly ja: string;
}

/** The 30 columns, in file order. */
export const ntaCsvColumns = [
  { key: 'sequence_number', ja: '一連番号' },
  { key: 'corporate_number', ja: '法人番号' },
  { key: 'process', ja: '処理区分' },
  { key: 'correct', ja: '訂正区分' },
  { key: 'update_date', ja: '更新年月日' },
  { key: 'change_date', ja: '変更年月日' },
  { key: 'name', ja: '商号又は名称' },
  { key: 'name_image_id', ja: '商号又は名称イメージID' },
  { key: 'kind', ja: '法人種別' },
  { key: 'prefecture_name', ja: '国内所在地（都道府県）' },
  { key: 'city_name', ja: '国内所在地（市区町村）' },
  { key: 'street_number', ja: '国内所在地（丁目番地等）' },
  { key: 'address_image_id', ja: '国内所在地イメージID' },
  { key: 'prefecture_code', ja: '都道府県コード' },
  { key: 'city_code', ja: '市区町村コード' },
  { key: 'post_code', ja: '郵便番号' },
  { key: 'address_outside', ja: '国外所在地' },
  { key: 'address_outside_image_id', ja: '国外所在地イメージID' },
  { key: 'close_date', ja: '登記記録の閉鎖等年月日' },
  { key: 'close_cause', ja: '登記記録の閉鎖等の事由' },
  { key: 'successor_corporate_number', ja: '承継先法人番号' },
  { key: 'change_cause', ja: '変更事由の詳細' },
  { key: 'assignment_date', ja: '法人番号指定年月日' },
  { key: 'latest', ja: '最新履歴' },
  { key: 'en_name', ja: '商号又は名称（英語表記）' },
  { key: 'en_prefecture_name', ja: '国内所在地（都道府県）（英語表記）' },
  { key: 'en_city_name', ja: '国内所在地（市区町村丁目番地等）（英語表記）' },
  { key: 'en_address_outside', ja: '国外所在地（英語表記）' },
  { key: 'furigana', ja: 'フリガナ' },
  { key: 'hihyoji', ja: '検索対象除外' },
] as const satisfies readonly NtaCsvColumn[];

export type NtaCsvKey = (typeof ntaCsvColumns)[number]['key'];
/** One row as the importer reads it and the generator writes it: every column text, '' when empty. */
export type NtaCsvRow = Readonly<Record<NtaCsvKey, string>>;

/** 処理区分: what a row of a diff file records. */
export const ntaProcessCodes = {
  '01': '新規 (new number)',
  '11': '商号又は名称の変更 (name change)',
  '12': '国内所在地の変更 (domestic address change)',
  '13': '国外所在地の変更 (foreign address change)',
  '21': '登記記録の閉鎖等 (registration closed)',
  '22': '登記記録の復活等 (registration restored)',
  '71': '吸収合併 (absorbed in a merger)',
  '72': '吸収合併無効 (merger annulled)',
  '81': '商号の登記の抹消 (trade name registration erased)',
  '99': '削除 (deleted)',
} as const;
export type NtaProcessCode = keyof typeof ntaProcessCodes;

/** 法人種別. */
export const ntaKindCodes = {
  '101': '国の機関',
  '201': '地方公共団体',
  '301': '株式会社',
  '302': '有限会社',
  '303': '合名会社',
  '304': '合資会社',
  '305': '合同会社',
  '399': 'その他の設立登記法人',
  '401': '外国会社等',
  '499': 'その他',
} as const;

/** 登記記録の閉鎖等の事由. */
export const ntaCloseCauseCodes = {
  '01': '清算の結了等',
  '11': '合併による解散等',
  '21': '登記官による閉鎖',
  '31': 'その他の清算の結了等',
} as const;

/** The registry row as the matcher needs it (db/schema/organizations.ts `registryCorporations`). */
export interface RegistryRecord {
  readonly corporateNumber: string;
  readonly process: string;
  readonly name: string;
  readonly prefectureName: string;
  readonly cityName: string;
  readonly streetNumber: string;
  readonly addressOutside: string | null;
  readonly closeDate: string | null;
  readonly closeCause: string | null;
  readonly enName: string | null;
  readonly updateDate: string;
}

/**
 * Whether the entity still exists (CP 3.2.2.1): a closed registration (21, 71: absorbed, 81: erased, 99: deleted or
 * any close date) is no organization to certify.
 */
export function registryClosure(r: Pick<RegistryRecord, 'process' | 'closeDate' | 'closeCause'>): string | null {
  if (r.closeDate) {
    const cause = r.closeCause ? ntaCloseCauseCodes[r.closeCause as keyof typeof ntaCloseCauseCodes] ?? r.closeCause : 'no cause given';
    return `registration closed on ${r.closeDate} (${cause})`;
  }
  if (r.process === '21' || r.process === '71' || r.process === '81' || r.process === '99') {
    return `registry process ${r.process}: ${ntaProcessCodes[r.process]}`;
  }
  return null;
}
