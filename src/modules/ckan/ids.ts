import { createHash } from 'node:crypto';

/** The namespace of the platform's name-based UUIDs (RFC 9562 version 5). */
const NAMESPACE = Buffer.from('6f1c2f0e8a4b4c5d9e0f1a2b3c4d5e6f', 'hex');

/** A stable UUID (version 5) for a name, so CKAN ids survive restarts and match across mirrors. */
export function uuid5(name: string): string {
  const h = createHash('sha1').update(NAMESPACE).update(name, 'utf8').digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** The CKAN package id of a dataset. */
export const packageId = (code: string) => uuid5(`package:${code}`);
/** The CKAN name (URL slug) of a dataset: its resource code in lower case. */
export const packageName = (code: string) => code.toLowerCase();
/** The CKAN resource id of one of a dataset's resources ('datastore', 'csv', 'json', 'parquet', 'xlsx'). */
export const resourceId = (code: string, kind: string) => uuid5(`resource:${code}:${kind}`);
/** The CKAN organization id and name of an organisation. */
export const orgId = (code: string) => uuid5(`organization:${code}`);
export const orgName = (code: string) => code.toLowerCase();
