import { randomMobile, randomValidIdcard, randomValidUscc, usccCheckChar } from '../catalogue/validators/formats.ts';
import { DISTRICTS } from '../organisations/districts.ts';
import { pick, pickWeighted, seededRandom } from './random.ts';

const SURNAMES = '陈林黄张李王吴刘蔡杨许郑谢洪郭邱曾廖赖徐周叶苏庄吕江何罗高萧潘朱简钟彭游詹胡施沈余卢梁赵颜柯翁魏孙戴'.split('');
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英志鹏建华晓东海燕文斌毅宏鑫婷雪梅凯鸿榕闽鹭'.split('');
const PREFIX = ['厦门', '厦门市', '福建', '厦门象屿', '厦门国贸', '厦门建发', '鹭岛', '嘉庚', '海沧', '思明', '翔安', '集美', '湖里', '同安', '鼓浪屿', '五缘湾', '环岛', '海西', '闽南', '白鹭'];
const CORE = ['星辰', '海峡', '鹭江', '宏图', '金桥', '蓝海', '云端', '智联', '信达', '华润', '鼎盛', '恒通', '天成', '万象', '嘉禾', '凤凰', '明珠', '远航', '汇通', '融创', '启航', '联创', '瑞丰', '永辉', '新源', '博远', '同舟', '聚力', '优选', '开元'];
const TRADE = [
  ['信息技术', 'I'], ['软件开发', 'I'], ['电子科技', 'C'], ['贸易', 'F'], ['进出口', 'F'], ['物流', 'G'], ['供应链管理', 'L'], ['建筑工程', 'E'],
  ['餐饮管理', 'H'], ['文化传媒', 'R'], ['生物医药', 'C'], ['新材料', 'C'], ['光电', 'C'], ['旅游', 'N'], ['物业管理', 'K'], ['咨询服务', 'L'],
  ['数字科技', 'I'], ['半导体', 'C'], ['新能源', 'D'], ['海洋科技', 'M'],
] as const;
const FORM = ['有限公司', '有限公司', '有限公司', '股份有限公司', '有限责任公司', '合伙企业（有限合伙）', '个体工商户'];
const STATUS = [['存续', 70], ['在业', 18], ['吊销', 4], ['注销', 7], ['迁出', 1]] as const;
const DISTRICT_WEIGHT = [['350203', 24], ['350205', 11], ['350206', 26], ['350211', 16], ['350212', 11], ['350213', 12]] as const;

/** A person's name. */
export function personName(rand: () => number): string {
  return pick(rand, SURNAMES) + pick(rand, GIVEN) + (rand() < 0.7 ? pick(rand, GIVEN) : '');
}

/** Column names of the enterprise-registration dataset, in file order. */
export const ENTERPRISE_COLUMNS = ['credit_code', 'name', 'legal_rep', 'legal_rep_id', 'phone', 'district', 'industry', 'capital', 'established_on', 'status'] as const;

function csvCell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/**
 * Generates enterprise registrations (企业登记信息) as rows of strings: believable credit codes, names,
 * legal representatives' identity numbers, districts, capital and dates; about `invalidShare` of the rows
 * break one rule (wrong check digit, bad date, unknown status, negative capital, missing name, bad phone).
 */
export function* enterpriseRows(opts: { seed: number; count: number; invalidShare: number; startIndex?: number; typeSafe?: boolean }): Generator<string[]> {
  const rand = seededRandom(opts.seed);
  const start = opts.startIndex ?? 0;
  for (let i = 0; i < opts.count; i++) {
    const district = pickWeighted(rand, DISTRICT_WEIGHT);
    const [trade, industry] = pick(rand, TRADE);
    const est = new Date(Date.UTC(1985 + Math.floor(rand() * 40), Math.floor(rand() * 12), 1 + Math.floor(rand() * 28)));
    const birth = new Date(Date.UTC(1950 + Math.floor(rand() * 50), Math.floor(rand() * 12), 1 + Math.floor(rand() * 28)));
    const capital = rand() < 0.6 ? Math.round(rand() * 1000) * 10 : Math.round(rand() * 500000) / 10;
    const row = [
      // The sequence number in the code keeps keys unique across billions of generated rows.
      uniqueUscc(rand, district, start + i),
      `${pick(rand, PREFIX)}${pick(rand, CORE)}${trade}${pick(rand, FORM)}`,
      personName(rand),
      randomValidIdcard(rand, district, birth),
      randomMobile(rand),
      district,
      industry,
      String(capital),
      est.toISOString().slice(0, 10),
      pickWeighted(rand, STATUS),
    ];
    if (rand() < opts.invalidShare) corrupt(rand, row, opts.typeSafe ?? false);
    yield row;
  }
}

function uniqueUscc(rand: () => number, adcode: string, n: number): string {
  // Draw a valid code, then make the organisation-code body unique by the row number (base 31, 8 chars).
  const code = randomValidUscc(rand, adcode);
  const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  let body = '';
  let x = n;
  for (let k = 0; k < 8; k++) {
    body = alphabet[x % 31] + body;
    x = Math.floor(x / 31);
  }
  const first17 = `${code.slice(0, 8)}${body}${code[16]}`;
  return first17 + usccCheckChar(first17);
}

/** Breaks one rule of a row; typeSafe keeps every value castable to its column type (for loaders without a quarantine). */
function corrupt(rand: () => number, row: string[], typeSafe: boolean): void {
  let k = Math.floor(rand() * 7);
  if (typeSafe && k === 2) k = 3;
  switch (k) {
    case 0: {
      const c = row[0];
      row[0] = c.slice(0, 17) + (c[17] === '0' ? '1' : '0');
      break;
    }
    case 1: {
      const id = row[3];
      row[3] = id.slice(0, 17) + (id[17] === '0' ? '1' : '0');
      break;
    }
    case 2:
      row[8] = `${row[8].slice(0, 5)}13-45`;
      break;
    case 3:
      row[9] = '经营异常';
      break;
    case 4:
      row[7] = `-${row[7]}`;
      break;
    case 5:
      row[1] = '';
      break;
    default:
      row[4] = `0${row[4].slice(1)}`;
  }
}

/** Joins rows into CSV text with a header. */
export function toCsv(header: readonly string[], rows: Iterable<string[]>): string {
  const out = [header.join(',')];
  for (const r of rows) out.push(r.map(csvCell).join(','));
  return `${out.join('\n')}\n`;
}

/** Streams rows as CSV chunks of about 1 MiB, with a header first. */
export async function* csvChunks(header: readonly string[], rows: Iterable<string[]>): AsyncGenerator<Uint8Array> {
  let buf = `${header.join(',')}\n`;
  for (const r of rows) {
    buf += `${r.map(csvCell).join(',')}\n`;
    if (buf.length > 1 << 20) {
      yield Buffer.from(buf, 'utf8');
      buf = '';
    }
  }
  if (buf) yield Buffer.from(buf, 'utf8');
}

/** Streams rows as NDJSON chunks of about 1 MiB. */
export async function* ndjsonChunks(header: readonly string[], rows: Iterable<string[]>): AsyncGenerator<Uint8Array> {
  let buf = '';
  for (const r of rows) {
    const o: Record<string, string> = {};
    for (let i = 0; i < header.length; i++) o[header[i]] = r[i];
    buf += `${JSON.stringify(o)}\n`;
    if (buf.length > 1 << 20) {
      yield Buffer.from(buf, 'utf8');
      buf = '';
    }
  }
  if (buf) yield Buffer.from(buf, 'utf8');
}

export { DISTRICTS };
