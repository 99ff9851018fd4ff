import type { LotKind } from '../types.ts';

/** How a lot is used, which decides its day shape (see traffic-model.ts). */
export type LotUse = 'commercial' | 'office' | 'residential' | 'hospital' | 'school' | 'hub' | 'scenic';

/** A connected system (接入系统) that runs lots and pushes their entries and exits with its own application token. */
export interface OperatorSystem {
  code: string;
  orgCode: string;
  name: string;
  nameEn: string;
  cycle: 'realtime';
}

/**
 * The operator systems of the simulated city: the transport department's (交通运输局) garage network, on-street
 * charging and off-peak sharing systems, and the health commission's (卫健委) hospital parking system.
 */
export const OPERATOR_SYSTEMS: readonly OperatorSystem[] = [
  { code: 'JTJ-GARAGE', orgCode: 'JTJ', name: '公共停车场联网系统', nameEn: 'Public garage network', cycle: 'realtime' },
  { code: 'JTJ-ROADSIDE', orgCode: 'JTJ', name: '路内停车收费系统', nameEn: 'On-street parking charging system', cycle: 'realtime' },
  { code: 'JTJ-SHARE', orgCode: 'JTJ', name: '错峰共享停车系统', nameEn: 'Off-peak shared parking system', cycle: 'realtime' },
  { code: 'WJW-HOSPARK', orgCode: 'WJW', name: '医院停车管理系统', nameEn: 'Hospital parking system', cycle: 'realtime' },
];

/** The smart parking platform's own system (智慧停车平台), which pushes the occupancy history into the hub. */
export const PLATFORM_SYSTEM = 'JTJ-PARK';

/** The operator system that runs a lot of a kind and use: hospitals their own, otherwise one per kind. */
export function operatorSystemFor(kind: LotKind, use: LotUse): string {
  if (use === 'hospital') return 'WJW-HOSPARK';
  return kind === 'garage' ? 'JTJ-GARAGE' : kind === 'street' ? 'JTJ-ROADSIDE' : 'JTJ-SHARE';
}
