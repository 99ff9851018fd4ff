import { pick, pickWeighted, seededRandom } from '../../demo/random.ts';
import type { NewLot } from '../service.ts';
import type { TariffBand } from '../tariff.ts';
import type { LotKind, SpaceType } from '../types.ts';
import type { DistrictMap } from './district-map.ts';
import { URBAN_CENTRES } from './district-map.ts';
import { operatorSystemFor, type LotUse } from './operators.ts';

/** A simulated lot: what registers it, plus what drives its traffic. */
export interface SimLot extends NewLot {
  id: string;
  use: LotUse;
  /** Seed of its own traffic noise. */
  seed: number;
  /** How full its busiest hours get, relative to the day shape (0.8–1.08). */
  peak: number;
  /** Minutes its day runs early (negative) or late against the shape. */
  shiftMinutes: number;
  capacity: Record<SpaceType, number>;
}

/** Place names per district: roads (道路), sub-districts (街道), shopping centres, hospitals, hubs and sights. */
const PLACES: Record<string, { roads: string[]; areas: string[]; malls: string[]; hospitals: string[]; hubs: string[]; sights: string[] }> = {
  350203: {
    roads: ['中山路', '思明南路', '思明北路', '厦禾路', '湖滨南路', '湖滨北路', '莲前西路', '莲前东路', '嘉禾路', '鹭江道', '环岛路', '禾祥西路', '文屏路', '莲岳路', '体育路', '演武路', '前埔路', '会展路', '湖光路', '故宫路'],
    areas: ['鹭江', '中华', '嘉莲', '筼筜', '梧村', '莲前', '开元', '滨海', '厦港', '湖滨'],
    malls: ['万象城', '中华城', '罗宾森广场', '磐基中心', '世茂海峡大厦', '老虎城', '明发商业广场', '莲坂商圈'],
    hospitals: ['市第一医院', '中山医院', '市妇幼保健院', '市眼科中心', '市口腔医院', '思明区中医院'],
    hubs: ['厦门站', '轮渡码头', '第一码头', '梧村汽车站'],
    sights: ['曾厝垵', '南普陀', '白城沙滩', '植物园', '椰风寨', '胡里山炮台'],
  },
  350206: {
    roads: ['湖里大道', '枋湖路', '吕岭路', '仙岳路', '五缘湾道', '金尚路', '江头北路', '悦华路', '高崎南路', '兴隆路', '安岭路', '县后路', '华荣路', '云顶北路'],
    areas: ['湖里', '殿前', '禾山', '江头', '金山', '五缘'],
    malls: ['SM城市广场', '宝龙一城', '湖里万达广场', '五缘湾乐都汇', '建发湾悦城', '蔡塘广场'],
    hospitals: ['市中医院', '湖里区人民医院', '市仙岳医院', '湖里区妇幼保健院'],
    hubs: ['高崎机场T3', '高崎机场T4', '东渡邮轮中心', '湖里公交枢纽'],
    sights: ['五缘湾湿地公园', '湖里公园', '忠仑公园'],
  },
  350211: {
    roads: ['集美大道', '杏林湾路', '银江路', '石鼓路', '乐海路', '杏滨路', '灌口中路', '岑西路', '滨水路', '孙坂南路'],
    areas: ['集美', '侨英', '杏林', '杏滨', '后溪', '灌口'],
    malls: ['集美万达广场', '杏林湾一号', '集美印象城', '乐海商业中心'],
    hospitals: ['市第二医院', '集美区人民医院', '集美区中医院'],
    hubs: ['厦门北站', '集美BRT枢纽', '杏林汽车站'],
    sights: ['园博苑', '集美学村鳌园', '嘉庚公园', '双龙潭'],
  },
  350205: {
    roads: ['海沧大道', '新阳路', '钟林路', '沧林路', '马青路', '翁角路', '滨湖北路', '兴港路', '海景路'],
    areas: ['海沧', '新阳', '嵩屿', '东孚'],
    malls: ['阿罗海城市广场', '海沧天虹购物中心', '未来海岸商业广场'],
    hospitals: ['长庚医院', '海沧医院', '海沧区中医院'],
    hubs: ['海沧湾码头', '海沧BRT枢纽'],
    sights: ['海沧湾公园', '天竺山', '青礁慈济宫'],
  },
  350212: {
    roads: ['同集路', '环城南路', '银湖路', '西湖路', '大同路', '城东路', '祥平路', '同安大道'],
    areas: ['大同', '祥平', '西柯', '新民', '五显', '汀溪'],
    malls: ['同安银泰城', '同安城市广场', '祥平商业中心'],
    hospitals: ['市第三医院', '同安区中医院', '同安区妇幼保健院'],
    hubs: ['同安汽车站', '同安BRT枢纽'],
    sights: ['同安影视城', '梵天寺', '竹坝', '北辰山'],
  },
  350213: {
    roads: ['翔安南路', '新店路', '民安大道', '舫山路', '翔安北路', '洪钟大道', '巷南路', '翔安东路'],
    areas: ['新店', '马巷', '内厝', '新圩', '大嶝', '金海'],
    malls: ['翔安新城商业广场', '马巷商业中心', '翔安吾悦广场'],
    hospitals: ['翔安医院', '马巷卫生院', '翔安区中医院'],
    hubs: ['马巷汽车站', '大嶝码头'],
    sights: ['大嶝小镇', '香山公园', '澳头渔村'],
  },
};

const PROPERTY = ['华润万象生活', '建发物业', '国贸物业', '特房物业', '联发物业', '象屿物业', '万科物业', '禹洲物业', '世茂物业', '宝龙商业'];
const ESTATE_BRAND = ['瑞景', '阳光', '海景', '碧湖', '金山', '联发', '建发', '国贸', '万科', '禹洲', '盛世', '书香'];
const ESTATE_SUFFIX = ['花园', '新村', '小区', '家园', '公寓', '雅苑'];
const BUILDING_SUFFIX = ['大厦', '商务中心', '金融中心', '科技大厦', '国际中心', '写字楼'];
const CITY_GARAGE_OPERATOR = '厦门市停车场建设运营有限公司';
const ROADSIDE_OPERATOR = '厦门路桥停车运营有限公司';

/** Tariff level of a district against 思明 (the island's core is dearest). */
const PRICE_LEVEL: Record<string, number> = { 350203: 1, 350206: 0.9, 350211: 0.7, 350205: 0.7, 350212: 0.55, 350213: 0.5 };

const KIND_WEIGHTS = [['garage', 45], ['street', 35], ['shared', 20]] as const;
const USE_WEIGHTS: Record<LotKind, readonly (readonly [LotUse, number])[]> = {
  garage: [['commercial', 35], ['office', 25], ['residential', 15], ['hospital', 8], ['hub', 9], ['scenic', 8]],
  street: [['commercial', 45], ['office', 35], ['residential', 15], ['scenic', 5]],
  shared: [['residential', 30], ['office', 30], ['school', 25], ['hospital', 15]],
};

const WEEKDAYS = [1, 2, 3, 4, 5];
const WEEKEND = [6, 7];

/** A whole number of fen per hour, rounded to 50 fen (五角). */
function fen(x: number): number {
  return Math.max(0, Math.round(x / 50) * 50);
}

function between(rand: () => number, lo: number, hi: number): number {
  return Math.round(lo + rand() * (hi - lo));
}

/** Capacity per space type for a lot of a kind and use. */
function capacityFor(kind: LotKind, use: LotUse, rand: () => number): Record<SpaceType, number> {
  const size: Record<LotUse, [number, number]> = kind === 'street'
    ? { commercial: [12, 60], office: [10, 50], residential: [8, 40], scenic: [15, 60], hospital: [10, 30], school: [8, 20], hub: [20, 60] }
    : kind === 'shared'
      ? { residential: [40, 300], office: [50, 400], school: [30, 150], hospital: [80, 500], commercial: [50, 300], hub: [50, 200], scenic: [40, 200] }
      : { commercial: [300, 1500], office: [150, 800], residential: [200, 1200], hospital: [300, 1200], hub: [400, 2500], scenic: [100, 600], school: [50, 200] };
  const [lo, hi] = size[use];
  // Sizes lean small: most garages are a few hundred places, a few are very large.
  const total = Math.round(lo + (hi - lo) * rand() ** 1.8);
  const evShare = kind === 'street' ? (rand() < 0.2 ? 0.06 : 0) : use === 'commercial' || use === 'office' ? 0.08 + rand() * 0.12 : 0.04 + rand() * 0.08;
  const ev = Math.round(total * evShare);
  const accessible = kind === 'street' ? (rand() < 0.7 ? 1 : 0) : Math.max(2, Math.round(total * 0.015));
  const large = use === 'hub' ? between(rand, 10, 40) : use === 'scenic' && kind !== 'shared' ? between(rand, 5, 30) : kind === 'garage' && rand() < 0.1 ? between(rand, 2, 6) : 0;
  return { standard: Math.max(1, total - ev - accessible - large), ev, accessible, large };
}

/** Time-of-day bands in integer fen per hour covering the whole day. */
function tariffFor(kind: LotKind, use: LotUse, district: string, rand: () => number): TariffBand[] {
  const level = PRICE_LEVEL[district] ?? 0.7;
  const jitter = 0.85 + rand() * 0.3;
  if (kind === 'street') {
    // On-street places are dearer by day to push long stays into garages, and free overnight.
    return [
      { from: '07:30', to: '21:30', fenPerHour: fen(1200 * level * jitter) },
      { from: '21:30', to: '07:30', fenPerHour: 0 },
    ];
  }
  if (use === 'commercial') {
    return [
      { from: '10:00', to: '22:00', fenPerHour: fen(1000 * level * jitter) },
      { from: '22:00', to: '10:00', fenPerHour: fen(300 * level * jitter) },
    ];
  }
  if (use === 'school') {
    return [
      { from: '07:30', to: '18:00', fenPerHour: fen(600 * level * jitter) },
      { from: '18:00', to: '07:30', fenPerHour: fen(300 * level * jitter) },
    ];
  }
  if (use === 'office' && kind === 'garage') {
    // A morning peak band, then the day rate, then the night rate.
    return [
      { from: '07:30', to: '09:30', fenPerHour: fen(1200 * level * jitter) },
      { from: '09:30', to: '20:00', fenPerHour: fen(900 * level * jitter) },
      { from: '20:00', to: '07:30', fenPerHour: fen(300 * level * jitter) },
    ];
  }
  const day = kind === 'shared' ? 600 : use === 'hub' || use === 'scenic' ? 1000 : 800;
  return [
    { from: '08:00', to: '20:00', fenPerHour: fen(day * level * jitter) },
    { from: '20:00', to: '08:00', fenPerHour: fen(250 * level * jitter) },
  ];
}

/**
 * Generates believable lots spread over the six districts: garages (公共停车场), on-street segments (路内泊位) and
 * shared lots (共享停车场) of offices, schools, hospitals and housing estates, with names, operators, capacities per
 * space type, time-of-day tariffs, opening hours and the operator system that runs each. Lot i depends only on the
 * seed and i, so a larger city contains the smaller one.
 */
export function generateLots(count: number, opts: { map: DistrictMap; seed?: number; idPrefix?: string }): SimLot[] {
  const seed = opts.seed ?? 2026;
  const prefix = opts.idPrefix ?? 'sim';
  const districts = Object.entries(URBAN_CENTRES).map(([adcode, d]) => [adcode, d.share] as const);
  const used = new Map<string, number>();
  const unique = (name: string) => {
    const n = (used.get(name) ?? 0) + 1;
    used.set(name, n);
    return n === 1 ? name : `${name}（${n}号）`;
  };
  const roadSegments = new Map<string, number>();
  const lots: SimLot[] = [];
  for (let i = 0; i < count; i++) {
    const rand = seededRandom(seed * 1_000_003 + i * 7919);
    const district = pickWeighted(rand, districts);
    const kind = pickWeighted(rand, KIND_WEIGHTS);
    const use = pickWeighted(rand, USE_WEIGHTS[kind]);
    const at = opts.map.samplePoint(district, rand);
    const p = PLACES[district];
    const road = pick(rand, p.roads);
    const area = pick(rand, p.areas);
    const building = `${road.replace(/大道$|路$|道$/, '')}${pick(rand, BUILDING_SUFFIX)}`;
    const estate = `${pick(rand, ESTATE_BRAND)}${area}${pick(rand, ESTATE_SUFFIX)}`;
    let name: string;
    let operator: string;
    if (kind === 'street') {
      const seg = (roadSegments.get(road) ?? 0) + 1;
      roadSegments.set(road, seg);
      name = `${road}路边泊位${seg}段`;
      operator = ROADSIDE_OPERATOR;
    } else if (kind === 'garage') {
      switch (use) {
        case 'commercial': {
          const mall = rand() < 0.5 ? pick(rand, p.malls) : `${road}商业街`;
          name = unique(`${mall}${pick(rand, ['地下停车场', '停车楼', '立体停车库'])}`);
          operator = pick(rand, PROPERTY);
          break;
        }
        case 'office':
          name = unique(`${building}地下停车场`);
          operator = pick(rand, PROPERTY);
          break;
        case 'residential':
          name = unique(`${estate}配套停车场`);
          operator = pick(rand, PROPERTY);
          break;
        case 'hospital': {
          const h = pick(rand, p.hospitals);
          name = unique(`${h}地下停车场`);
          operator = `厦门${h}`;
          break;
        }
        case 'hub':
          name = unique(`${pick(rand, p.hubs)}${pick(rand, ['公共停车场', 'P1停车场', 'P2停车场', '社会停车场'])}`);
          operator = CITY_GARAGE_OPERATOR;
          break;
        default:
          name = unique(`${pick(rand, p.sights)}${pick(rand, ['游客停车场', '公共停车场', '旅游大巴停车场'])}`);
          operator = CITY_GARAGE_OPERATOR;
      }
    } else {
      switch (use) {
        case 'hospital': {
          const h = pick(rand, p.hospitals);
          name = unique(`${h}错峰共享车位`);
          operator = `厦门${h}`;
          break;
        }
        case 'school': {
          const school = rand() < 0.5 ? `${area}${pick(rand, ['第一', '第二', '中心', '实验'])}小学` : `厦门第${between(rand, 1, 30)}中学`;
          name = unique(`${school}错峰共享车位`);
          operator = school;
          break;
        }
        case 'office':
          name = unique(`${building}错时共享车位`);
          operator = pick(rand, PROPERTY);
          break;
        default:
          name = unique(`${estate}共享车位`);
          operator = pick(rand, PROPERTY);
      }
    }
    // Working days and weekends as two periods (a single-period list is refused by the lot schema today).
    const openingHours = use === 'commercial' && kind === 'garage' && rand() < 0.6
      ? [{ days: WEEKDAYS, from: '07:00', to: '24:00' }, { days: WEEKEND, from: '08:00', to: '24:00' }]
      : use === 'school' ? [{ days: WEEKDAYS, from: '06:00', to: '23:00' }, { days: WEEKEND, from: '07:00', to: '23:00' }] : null;
    const reservablePercent = kind === 'street' ? 0 : kind === 'shared' ? 20 + 10 * between(rand, 0, 4) : 10 + 5 * between(rand, 0, 4);
    lots.push({
      id: `${prefix}-${String(i + 1).padStart(5, '0')}`,
      name, district, kind, operator, lon: at.lon, lat: at.lat,
      capacity: capacityFor(kind, use, rand), reservablePercent,
      tariff: tariffFor(kind, use, district, rand), openingHours,
      systemCode: operatorSystemFor(kind, use),
      use, seed: Math.floor(rand() * 2 ** 31), peak: 0.8 + rand() * 0.28, shiftMinutes: between(rand, -40, 40),
    });
  }
  return lots;
}

/** The body that registers a simulated lot (POST /api/v1/parking/lots): the lot without its traffic parameters. */
export function lotBody(l: SimLot): NewLot {
  return {
    id: l.id, name: l.name, district: l.district, kind: l.kind, operator: l.operator, lon: l.lon, lat: l.lat,
    capacity: l.capacity, reservablePercent: l.reservablePercent, tariff: l.tariff, openingHours: l.openingHours, systemCode: l.systemCode,
  };
}
