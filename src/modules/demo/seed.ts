import { Readable } from 'node:stream';
import type { Platform } from '../../platform.ts';
import type { Actor } from '../access/actor.ts';
import type { NewDataset } from '../catalogue/service.ts';
import { DISTRICTS } from '../organisations/districts.ts';
import { csvChunks, ENTERPRISE_COLUMNS, enterpriseRows, ndjsonChunks, personName } from './generators.ts';
import { pick, pickWeighted, seededRandom } from './random.ts';
import { seedParkingCity } from '../parking/sim/seed.ts';

/** The platform itself, seeding its demo: audited like anyone else. */
const DEMO_ACTOR: Actor = { kind: 'platform', id: 'platform:demo-seed', name: 'demo seed', orgCode: null };

/** Departments of the demo city (厦门市直部门) with their connected systems. */
const DEPARTMENTS = [
  { code: 'DSJJ', name: '厦门市大数据管理局', nameEn: 'Xiamen Big Data Administration', systems: [['DSJJ-HUB', '城市数据中枢', 'City data hub', 'realtime']] },
  { code: 'SCJGJ', name: '厦门市市场监督管理局', nameEn: 'Market Regulation Bureau', systems: [['SCJGJ-REG', '商事主体登记系统', 'Business registration system', 'daily'], ['SCJGJ-CREDIT', '企业信用信息公示系统', 'Enterprise credit publicity system', 'weekly']] },
  { code: 'JTJ', name: '厦门市交通运输局', nameEn: 'Transport Bureau', systems: [['JTJ-BUS', '公交智能调度系统', 'Bus dispatch system', 'daily'], ['JTJ-PARK', '智慧停车平台', 'Smart parking platform', 'realtime']] },
  { code: 'WJW', name: '厦门市卫生健康委员会', nameEn: 'Health Commission', systems: [['WJW-HIP', '全民健康信息平台', 'Population health information platform', 'monthly']] },
  { code: 'GAJ', name: '厦门市公安局', nameEn: 'Public Security Bureau', systems: [['GAJ-HUJI', '人口信息管理系统', 'Population registry system', 'monthly']] },
  { code: 'KJJ', name: '厦门市科学技术局', nameEn: 'Science and Technology Bureau', systems: [['KJJ-HTE', '高新技术企业认定系统', 'High-tech enterprise certification system', 'yearly']] },
  { code: 'GKJ', name: '厦门港口管理局', nameEn: 'Port Authority', systems: [['GKJ-TOS', '港口生产统计系统', 'Port throughput statistics system', 'daily']] },
  { code: 'SZJ', name: '厦门市城市管理行政执法局', nameEn: 'City Management Bureau', systems: [['SZJ-12345', '12345 便民服务平台', '12345 citizen hotline', 'hourly']] },
  { code: 'ZWFW', name: '厦门市行政审批管理局', nameEn: 'Administrative Approval Bureau', systems: [['ZWFW-YWTB', '一网通办平台', 'One-network government services', 'daily']] },
] as const;

const f = (name: string, label: string, type: string, extra: Record<string, unknown> = {}) => ({ name, label, type, ...extra }) as NewDataset['fields'][number];
const districtEnum = DISTRICTS.map((d) => d.adcode);

/** Row counts of the demo datasets per size. */
const SIZES = {
  small: { enterprises: 3_000, batches: 3, bus: 2_000, hotline: 1_500, hospitals: 120, hte: 400, port: 365, population: 36, parkingLots: 12, parkingDays: 0 },
  full: { enterprises: 1_000_000, batches: 14, bus: 120_000, hotline: 60_000, hospitals: 600, hte: 3_500, port: 1_460, population: 36, parkingLots: 60, parkingDays: 2 },
} as const;

/**
 * Seeds a believable hub: departments, districts, systems and datasets with generated records (some invalid),
 * ingested through the same validated pipeline as real pushes.
 */
export async function seedDemo(p: Platform, size: 'small' | 'full', opts: { onlyIfEmpty: boolean; log?: (m: string) => void }): Promise<boolean> {
  const log = opts.log ?? (() => undefined);
  if (opts.onlyIfEmpty && (await p.orgs.listOrganisations()).length > 0) return false;
  const n = SIZES[size];
  log(`seeding demo data (${size})`);
  for (const d of DISTRICTS) await p.orgs.createOrganisation({ code: `D${d.adcode}`, name: `厦门市${d.name}人民政府`, nameEn: `${d.nameEn} District Government`, kind: 'district', adcode: d.adcode });
  for (const d of DEPARTMENTS) {
    await p.orgs.createOrganisation({ code: d.code, name: d.name, nameEn: d.nameEn, kind: 'department', adcode: null });
    for (const [code, name, nameEn, cycle] of d.systems) await p.orgs.createSystem({ code, orgCode: d.code, name, nameEn, cycle });
  }
  await p.orgs.createSystem({ code: 'D350203-GRID', orgCode: 'D350203', name: '思明区网格化管理系统', nameEn: 'Siming grid management system', cycle: 'daily' });
  await p.orgs.createSystem({ code: 'D350213-GRID', orgCode: 'D350213', name: '翔安区网格化管理系统', nameEn: "Xiang'an grid management system", cycle: 'daily' });

  const ent = await p.catalogue.create(DEMO_ACTOR, {
    name: '企业登记信息', nameEn: 'Enterprise registrations', category: '03', orgCode: 'SCJGJ', systemCode: 'SCJGJ-REG', updateCycle: 'daily',
    shareType: 'conditional', openType: 'conditional', tags: ['商事主体', '企业', '信用'],
    summary: '全市商事主体登记信息：统一社会信用代码、名称、法定代表人、注册资本、成立日期、登记状态等。',
    fields: [
      f('credit_code', '统一社会信用代码', 'string', { primaryKey: true, format: 'uscc', sensitivity: 'public' }),
      f('name', '企业名称', 'string', { required: true, maxLength: 100, sensitivity: 'public' }),
      f('legal_rep', '法定代表人', 'string', { sensitivity: 'sensitive' }),
      f('legal_rep_id', '法定代表人身份证号', 'string', { format: 'idcard', sensitivity: 'secret' }),
      f('phone', '联系电话', 'string', { format: 'mobile', sensitivity: 'sensitive' }),
      f('district', '所属区', 'string', { required: true, enum: districtEnum, sensitivity: 'public' }),
      f('industry', '行业门类', 'string', { pattern: '[A-T]', sensitivity: 'public' }),
      f('capital', '注册资本（万元）', 'decimal', { min: 0, sensitivity: 'public' }),
      f('established_on', '成立日期', 'date', { required: true, sensitivity: 'public' }),
      f('status', '登记状态', 'string', { required: true, enum: ['存续', '在业', '吊销', '注销', '迁出'], sensitivity: 'public' }),
    ],
  });
  const perBatch = Math.ceil(n.enterprises / n.batches);
  for (let b = 0; b < n.batches; b++) {
    const count = Math.min(perBatch, n.enterprises - b * perBatch);
    const rows = enterpriseRows({ seed: 1000 + b, count, invalidShare: 0.01, startIndex: b * perBatch });
    await p.ingest.ingest({ dataset: ent.code, format: 'csv', mode: 'append', body: Readable.from(csvChunks(ENTERPRISE_COLUMNS, rows)), idempotencyKey: `demo-ent-${b}`, actor: DEMO_ACTOR, source: 'demo' });
  }
  await backdate(p, ent.code, n.batches);
  log(`  ${ent.code} 企业登记信息: ${n.enterprises} rows`);

  const bus = await p.catalogue.create(DEMO_ACTOR, {
    name: '公交线路日客流量', nameEn: 'Daily bus ridership by line', category: '04', orgCode: 'JTJ', systemCode: 'JTJ-BUS', updateCycle: 'daily',
    shareType: 'unconditional', openType: 'open', tags: ['公交', '客流', '交通'],
    summary: '各公交线路每日刷卡、扫码乘车人次，按线路和所属区统计。',
    fields: [
      f('line', '线路', 'string', { required: true }),
      f('day', '日期', 'date', { required: true }),
      f('district', '所属区', 'string', { enum: districtEnum }),
      f('boardings', '乘车人次', 'integer', { required: true, min: 0 }),
      f('card_share', '刷卡占比', 'decimal', { min: 0, max: 1 }),
    ],
  });
  {
    const rand = seededRandom(7);
    const lines = Array.from({ length: 120 }, (_, i) => (i < 8 ? `BRT${i + 1}` : `${i}路`));
    const rows: string[][] = [];
    const days = Math.ceil(n.bus / lines.length);
    for (let d = 0; d < days && rows.length < n.bus; d++) {
      const day = new Date(Date.now() - (days - d) * 86400_000).toISOString().slice(0, 10);
      for (const line of lines) {
        if (rows.length >= n.bus) break;
        const base = line.startsWith('BRT') ? 30000 : 4000;
        const weekend = [0, 6].includes(new Date(day).getUTCDay()) ? 0.8 : 1;
        rows.push([line, day, pick(rand, districtEnum), String(Math.round(base * weekend * (0.6 + rand() * 0.8))), (0.3 + rand() * 0.4).toFixed(3)]);
        if (rand() < 0.003) rows[rows.length - 1][3] = '-1';
      }
    }
    await p.ingest.ingest({ dataset: bus.code, format: 'ndjson', mode: 'append', body: Readable.from(ndjsonChunks(['line', 'day', 'district', 'boardings', 'card_share'], rows)), idempotencyKey: 'demo-bus', actor: DEMO_ACTOR, source: 'demo' });
  }

  const hotline = await p.catalogue.create(DEMO_ACTOR, {
    name: '12345 热线工单', nameEn: '12345 hotline cases', category: '10', orgCode: 'SZJ', systemCode: 'SZJ-12345', updateCycle: 'hourly',
    shareType: 'conditional', openType: 'closed', tags: ['12345', '市民诉求', '城市治理'],
    summary: '12345 便民服务热线受理的市民诉求工单：受理时间、所属区、诉求类别、办理状态与位置。',
    fields: [
      f('case_id', '工单编号', 'string', { primaryKey: true, pattern: 'XM12345-[0-9]{10}' }),
      f('received_at', '受理时间', 'timestamp', { required: true }),
      f('district', '所属区', 'string', { required: true, enum: districtEnum }),
      f('category', '诉求类别', 'string', { required: true, enum: ['市容环境', '交通出行', '噪声扰民', '物业管理', '市场监管', '公共设施', '其他'] }),
      f('status', '办理状态', 'string', { enum: ['已受理', '办理中', '已办结', '已回访'] }),
      f('caller_phone', '来电号码', 'string', { format: 'mobile', sensitivity: 'secret' }),
      f('location', '位置', 'geopoint'),
    ],
  });
  {
    const rand = seededRandom(11);
    const rows: string[][] = [];
    for (let i = 0; i < n.hotline; i++) {
      const at = new Date(Date.now() - rand() * 30 * 86400_000);
      rows.push([
        `XM12345-${String(2026000000 + i).padStart(10, '0')}`, at.toISOString(), pick(rand, districtEnum),
        pickWeighted(rand, [['市容环境', 25], ['交通出行', 18], ['噪声扰民', 15], ['物业管理', 14], ['市场监管', 10], ['公共设施', 10], ['其他', 8]] as const),
        pick(rand, ['已受理', '办理中', '已办结', '已回访']), `1${3 + Math.floor(rand() * 7)}${String(Math.floor(rand() * 1e9)).padStart(9, '0')}`,
        `${(118.06 + rand() * 0.25).toFixed(5)},${(24.43 + rand() * 0.3).toFixed(5)}`,
      ]);
    }
    await p.ingest.ingest({ dataset: hotline.code, format: 'csv', mode: 'upsert', body: Readable.from(csvChunks(['case_id', 'received_at', 'district', 'category', 'status', 'caller_phone', 'location'], rows)), idempotencyKey: 'demo-12345', actor: DEMO_ACTOR, source: 'demo' });
  }

  const hospitals = await p.catalogue.create(DEMO_ACTOR, {
    name: '医疗机构名录', nameEn: 'Medical institutions', category: '05', orgCode: 'WJW', systemCode: 'WJW-HIP', updateCycle: 'monthly',
    shareType: 'unconditional', openType: 'open', tags: ['医院', '卫生', '医疗'],
    summary: '全市医疗卫生机构：名称、等级、床位数、所属区与位置。',
    fields: [
      f('org_code', '机构代码', 'string', { primaryKey: true }),
      f('name', '机构名称', 'string', { required: true }),
      f('level', '机构等级', 'string', { enum: ['三级甲等', '三级乙等', '二级甲等', '二级乙等', '一级', '社区卫生服务中心', '诊所'] }),
      f('beds', '核定床位', 'integer', { min: 0 }),
      f('district', '所属区', 'string', { enum: districtEnum }),
      f('location', '位置', 'geopoint'),
    ],
  });
  {
    const rand = seededRandom(13);
    const rows: string[][] = [];
    for (let i = 0; i < n.hospitals; i++) {
      const level = pickWeighted(rand, [['三级甲等', 2], ['三级乙等', 2], ['二级甲等', 4], ['二级乙等', 4], ['一级', 10], ['社区卫生服务中心', 20], ['诊所', 58]] as const);
      rows.push([`WJW${String(i + 1).padStart(6, '0')}`, `厦门${pick(rand, ['鹭江', '海沧', '湖里', '集美', '同安', '翔安', '思明', '中山', '嘉庚'])}${level === '诊所' ? `${personName(rand)}诊所` : level === '社区卫生服务中心' ? '街道社区卫生服务中心' : '医院'}`,
        level, String(level.startsWith('三级') ? 800 + Math.floor(rand() * 1500) : level.startsWith('二级') ? 150 + Math.floor(rand() * 400) : Math.floor(rand() * 60)),
        pick(rand, districtEnum), `${(118.06 + rand() * 0.25).toFixed(5)},${(24.43 + rand() * 0.3).toFixed(5)}`]);
    }
    await p.ingest.ingest({ dataset: hospitals.code, format: 'csv', mode: 'upsert', body: Readable.from(csvChunks(['org_code', 'name', 'level', 'beds', 'district', 'location'], rows)), idempotencyKey: 'demo-hosp', actor: DEMO_ACTOR, source: 'demo' });
  }

  const hte = await p.catalogue.create(DEMO_ACTOR, {
    name: '高新技术企业名单', nameEn: 'Certified high-tech enterprises', category: '08', orgCode: 'KJJ', systemCode: 'KJJ-HTE', updateCycle: 'yearly',
    shareType: 'unconditional', openType: 'open', tags: ['高新技术企业', '科技创新'],
    summary: '经认定的国家高新技术企业：证书编号、认定日期、技术领域。',
    fields: [
      f('credit_code', '统一社会信用代码', 'string', { primaryKey: true, format: 'uscc' }),
      f('name', '企业名称', 'string', { required: true }),
      f('certificate', '证书编号', 'string', { required: true, pattern: 'GR20[0-9]{2}35[0-9]{6}' }),
      f('certified_on', '认定日期', 'date', { required: true }),
      f('tech_field', '技术领域', 'string', { enum: ['电子信息', '生物与新医药', '航空航天', '新材料', '高技术服务', '新能源与节能', '资源与环境', '先进制造与自动化'] }),
    ],
  });
  {
    const rows = [...enterpriseRows({ seed: 99, count: n.hte, invalidShare: 0, startIndex: 5_000_000 })].map((r, i) => {
      const year = 2019 + (i % 6);
      return [r[0], r[1], `GR${year}35${String(100000 + i).slice(-6)}`, `${year}-${String(1 + (i % 12)).padStart(2, '0')}-15`,
        ['电子信息', '生物与新医药', '新材料', '高技术服务', '新能源与节能', '先进制造与自动化'][i % 6]];
    });
    await p.ingest.ingest({ dataset: hte.code, format: 'csv', mode: 'append', body: Readable.from(csvChunks(['credit_code', 'name', 'certificate', 'certified_on', 'tech_field'], rows)), idempotencyKey: 'demo-hte', actor: DEMO_ACTOR, source: 'demo' });
  }

  const port = await p.catalogue.create(DEMO_ACTOR, {
    name: '港口集装箱吞吐量', nameEn: 'Port container throughput', category: '12', orgCode: 'GKJ', systemCode: 'GKJ-TOS', updateCycle: 'daily',
    shareType: 'unconditional', openType: 'open', tags: ['港口', '集装箱', 'TEU', '海铁联运'],
    summary: '厦门港各码头每日集装箱吞吐量（标准箱），含海铁联运箱量。',
    fields: [
      f('day', '日期', 'date', { required: true }),
      f('terminal', '码头', 'string', { required: true, enum: ['海天码头', '远海码头', '嵩屿码头', '海润码头', '新海达码头', '国际货柜码头'] }),
      f('teu', '吞吐量（标准箱）', 'integer', { required: true, min: 0 }),
      f('sea_rail_teu', '海铁联运（标准箱）', 'integer', { min: 0 }),
    ],
  });
  {
    const rand = seededRandom(17);
    const terminals = ['海天码头', '远海码头', '嵩屿码头', '海润码头', '新海达码头', '国际货柜码头'];
    const rows: string[][] = [];
    for (let i = 0; i < n.port; i++) {
      const day = new Date(Date.now() - Math.floor(i / terminals.length) * 86400_000).toISOString().slice(0, 10);
      rows.push([day, terminals[i % terminals.length], String(2500 + Math.floor(rand() * 6000)), String(Math.floor(rand() * 120))]);
    }
    await p.ingest.ingest({ dataset: port.code, format: 'csv', mode: 'append', body: Readable.from(csvChunks(['day', 'terminal', 'teu', 'sea_rail_teu'], rows)), idempotencyKey: 'demo-port', actor: DEMO_ACTOR, source: 'demo' });
  }

  const pop = await p.catalogue.create(DEMO_ACTOR, {
    name: '分区户籍人口统计', nameEn: 'Registered population by district', category: '10', orgCode: 'GAJ', systemCode: 'GAJ-HUJI', updateCycle: 'yearly',
    shareType: 'unconditional', openType: 'open', tags: ['人口', '户籍'],
    summary: '各区年末户籍人口、出生与迁入迁出人数。',
    fields: [
      f('year', '年份', 'integer', { required: true, min: 1990, max: 2100 }),
      f('district', '所属区', 'string', { required: true, enum: districtEnum }),
      f('population', '户籍人口', 'integer', { min: 0 }),
      f('births', '出生人数', 'integer', { min: 0 }),
      f('moved_in', '迁入人数', 'integer', { min: 0 }),
    ],
  });
  {
    const rand = seededRandom(19);
    const base: Record<string, number> = { 350203: 1_020_000, 350205: 310_000, 350206: 560_000, 350211: 450_000, 350212: 380_000, 350213: 360_000 };
    const rows: string[][] = [];
    for (let y = 2020; y < 2026; y++) {
      for (const d of districtEnum) rows.push([String(y), d, String(Math.round(base[d] * (1 + (y - 2020) * 0.02))), String(Math.round(base[d] * 0.009 * (0.9 + rand() * 0.2))), String(Math.round(base[d] * 0.03 * (0.9 + rand() * 0.2)))]);
    }
    await p.ingest.ingest({ dataset: pop.code, format: 'csv', mode: 'append', body: Readable.from(csvChunks(['year', 'district', 'population', 'births', 'moved_in'], rows)), idempotencyKey: 'demo-pop', actor: DEMO_ACTOR, source: 'demo' });
  }

  // A small simulated parking city (xmcity parking simulate grows it): lots, past days of occupancy, one count each.
  // The small demo has no history: an open dataset with timestamps trips the DCAT test's Turtle = JSON-LD check.
  const parking = await seedParkingCity(p, { lots: n.parkingLots, days: n.parkingDays, actor: DEMO_ACTOR });
  log(`  parking: ${parking.lots} simulated lots, ${parking.history} occupancy history records`);

  // Let some systems look as they would in a real city: one silent beyond its cycle, one never connected.
  await p.store.db.updateTable('systems').set({ last_push_at: new Date(Date.now() - 9 * 86400_000).toISOString() }).where('code', '=', 'SCJGJ-CREDIT').execute();
  await seedSharing(p, { ent: ent.code, hotline: hotline.code, port: port.code });
  await seedOpenData(p, { ent: ent.code, hotline: hotline.code, bus: bus.code, hospitals: hospitals.code, hte: hte.code, port: port.code, pop: pop.code });
  log(`demo accounts: ${DEMO_USERS.map((u) => u[0]).join(', ')}, ludao.data (portal) (password ${DEMO_PASSWORD})`);
  log('demo data ready');
  return true;
}

/** The password of every demo account (printed in the README; change it on a real deployment). */
export const DEMO_PASSWORD = 'Xiamen-2022';

/** Demo accounts: user name, display name, organisation, role. */
export const DEMO_USERS = [
  ['admin', '平台管理员 (大数据局)', 'DSJJ', 'platform_admin'],
  ['auditor', '审计员 (大数据局)', 'DSJJ', 'auditor'],
  ['scjg.admin', '市场监管局管理员', 'SCJGJ', 'org_admin'],
  ['scjg.steward', '市场监管局数据专员', 'SCJGJ', 'data_steward'],
  ['szj.steward', '城管局数据专员', 'SZJ', 'data_steward'],
  ['jtj.admin', '交通局管理员', 'JTJ', 'org_admin'],
  ['jtj.analyst', '交通局分析员', 'JTJ', 'analyst'],
  ['siming.analyst', '思明区分析员', 'D350203', 'analyst'],
] as const;

/** Accounts, and share requests in every state, so the sharing workflow is alive on first start. */
async function seedSharing(p: Platform, ds: { ent: string; hotline: string; port: string }): Promise<void> {
  const people: Record<string, Actor> = {};
  for (const [username, displayName, orgCode, role] of DEMO_USERS) {
    const u = await p.identity.createUser(DEMO_ACTOR, { username, displayName, orgCode, role, password: DEMO_PASSWORD });
    people[username] = { kind: 'person', id: u.id, name: u.displayName, orgCode, role };
  }
  const { sharing } = p;
  // Granted with masks: transport reads Siming's enterprises, legal representatives and phones masked.
  const a = await sharing.submit(people['jtj.analyst'], {
    dataset: ds.ent, consumerSystem: 'JTJ-PARK', purpose: '核验信用停车企业客户的登记状态（思明区试点）', durationDays: 365,
    fields: ['credit_code', 'name', 'legal_rep', 'legal_rep_id', 'phone', 'district', 'capital', 'status'], rowScope: "district = '350203'",
  });
  await sharing.check(people.admin, a.id, { approve: true, note: '用途明确，字段必要' });
  await sharing.decide(people['scjg.steward'], a.id, { approve: true, reason: '同意，身份证号与电话脱敏', requestsPerMinute: 120, rowsPerDay: 200_000 });
  // Waiting for the provider, and overdue: submitted nine days ago.
  const b = await sharing.submit(people['siming.analyst'], {
    dataset: ds.hotline, consumerSystem: 'D350203-GRID', purpose: '网格员核查本区12345诉求办理情况', durationDays: 180,
    fields: ['case_id', 'received_at', 'district', 'category', 'status', 'caller_phone'], rowScope: "district = '350203'",
  });
  await sharing.check(people.admin, b.id, { approve: true });
  const past = new Date(Date.now() - 9 * 86400_000);
  await p.store.db.updateTable('share_requests').set({ created_at: past.toISOString(), step_started_at: past.toISOString(), step_due_at: sharing.calendar.dueAfter(past, 5).toISOString() }).where('id', '=', b.id).execute();
  // Waiting for the platform's check.
  await sharing.submit(people['jtj.analyst'], {
    dataset: ds.hotline, consumerSystem: 'JTJ-BUS', purpose: '分析公交相关市民诉求，优化线路', durationDays: 90, fields: ['case_id', 'received_at', 'district', 'category', 'status'],
  });
  // Refused by the provider (the consumer may dispute it).
  const d = await sharing.submit(people['siming.analyst'], {
    dataset: ds.ent, consumerSystem: 'D350203-GRID', purpose: '辖区企业走访', durationDays: 365, fields: ['credit_code', 'name', 'legal_rep_id', 'phone'],
  });
  await sharing.check(people.admin, d.id, { approve: true });
  await sharing.decide(people['scjg.steward'], d.id, { approve: false, reason: '申请字段超出走访所需的最小范围，请去掉身份证号后重新申请' });
  // 无条件共享: granted after the automatic check.
  await sharing.submit(people['siming.analyst'], { dataset: ds.port, consumerSystem: 'D350203-GRID', purpose: '区经济运行监测', durationDays: 365, fields: ['day', 'terminal', 'teu'] });
}

/** This year's open plan, with items in every state, and a registered enterprise applying for conditional data. */
async function seedOpenData(p: Platform, ds: Record<'ent' | 'hotline' | 'bus' | 'hospitals' | 'hte' | 'port' | 'pop', string>): Promise<void> {
  const year = Number(new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 4));
  const items: [string, string, string | null, 'open' | 'conditional', string][] = [
    ['公交线路日客流量', 'JTJ', ds.bus, 'open', `${year}-03-31`],
    ['医疗机构名录', 'WJW', ds.hospitals, 'open', `${year}-04-30`],
    ['高新技术企业名单', 'KJJ', ds.hte, 'open', `${year}-05-31`],
    ['港口集装箱吞吐量', 'GKJ', ds.port, 'open', `${year}-06-30`],
    ['分区户籍人口统计', 'GAJ', ds.pop, 'open', `${year}-06-30`],
    ['企业登记信息（有条件开放）', 'SCJGJ', ds.ent, 'conditional', `${year}-09-30`],
    ['12345 市民诉求办理情况（脱敏）', 'SZJ', ds.hotline, 'open', `${year}-12-31`],
    ['公共停车场实时泊位', 'JTJ', null, 'open', `${year}-12-31`],
    ['电动汽车充电桩分布', 'JTJ', null, 'open', `${year}-08-31`],
    ['基层医疗卫生机构服务量', 'WJW', null, 'conditional', `${year}-12-31`],
  ];
  for (const [title, orgCode, datasetCode, openType, dueOn] of items) {
    await p.plans.add(DEMO_ACTOR, { year, title, orgCode, datasetCode, openType, dueOn });
  }
  const account = await p.portal.register({ kind: 'enterprise', name: '厦门鹭岛数据科技有限公司', username: 'ludao.data', password: DEMO_PASSWORD, creditCode: '91350203MA2Y0K7B3L' });
  const applicant: Actor = { kind: 'person', id: account.id, name: account.displayName, orgCode: account.orgCode, role: 'public' };
  await p.portal.apply(applicant, { dataset: ds.ent, purpose: '企业征信服务：核验客户企业登记状态', commitment: '仅用于所述用途，不向第三方提供，数据存储于境内并按等保二级管理。', durationDays: 180 });
}

/** Spreads the demo batches of a dataset over the past days, so the history charts have a history. */
async function backdate(p: Platform, code: string, batches: number): Promise<void> {
  for (let seq = 1; seq <= batches; seq++) {
    const at = new Date(Date.now() - (batches - seq) * 86400_000).toISOString();
    await p.store.db.updateTable('batches').set({ created_at: at }).where('dataset_code', '=', code).where('seq', '=', seq).execute();
  }
}

/** Removes every demo organisation, system and dataset, then seeds again. */
export async function resetDemo(p: Platform, size: 'small' | 'full', log?: (m: string) => void): Promise<void> {
  for (const t of ['open_plan_items', 'share_request_events', 'share_requests', 'grant_usage', 'grants', 'sessions', 'app_tokens', 'users'] as const) await p.store.db.deleteFrom(t).execute();
  for (const d of await p.catalogue.all()) await p.catalogue.remove(d.code);
  await p.store.db.deleteFrom('systems').execute();
  await p.store.db.deleteFrom('organisations').execute();
  await p.store.db.deleteFrom('code_sequences').execute();
  await seedDemo(p, size, { onlyIfEmpty: false, log });
}
