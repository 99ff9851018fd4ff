import { createHash } from 'node:crypto';

/** The hash that stands before the first entry of the trail. */
export const GENESIS_HASH = '0'.repeat(64);

/** What one audit entry records (审计记录): who did what to which data, under which grant, with what result. */
export interface AuditFacts {
  at: string;
  actorKind: 'person' | 'system' | 'anonymous' | 'platform';
  actorId: string;
  orgCode: string | null;
  action: string;
  datasetCode: string | null;
  fields: string[] | null;
  filter: string | null;
  grantId: string | null;
  purpose: string | null;
  rowCount: number | null;
  result: 'allowed' | 'denied' | 'error';
  detail: Record<string, unknown> | null;
}

/** An entry as stored: its facts, its place in the chain and the hash that commits to both. */
export interface AuditEntry extends AuditFacts {
  seq: number;
  prevHash: string;
  hash: string;
}

/**
 * The entry's hash: SHA-256 over a canonical encoding (fixed key order, JSON values) of its sequence number,
 * the previous entry's hash and its facts. Editing any of them, or moving the entry, changes it.
 */
export function entryHash(seq: number, prevHash: string, f: AuditFacts): string {
  const canonical = JSON.stringify([
    'xmcity-audit-v1', seq, prevHash, f.at, f.actorKind, f.actorId, f.orgCode, f.action, f.datasetCode, f.fields, f.filter,
    f.grantId, f.purpose, f.rowCount, f.result, f.detail === null ? null : canonicalObject(f.detail),
  ]);
  return createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/** An object with its keys sorted (recursively), so equal details encode equally. */
function canonicalObject(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonicalObject);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.keys(v as object).sort().map((k) => [k, canonicalObject((v as Record<string, unknown>)[k])]));
  }
  return v;
}

function h(...parts: string[]): string {
  const hash = createHash('sha256');
  for (const p of parts) hash.update(Buffer.from(p, 'hex'));
  return hash.digest('hex');
}

/** Leaf and node hashes are domain-separated (RFC 6962 style), so a node can never pass for a leaf. */
function leaf(entryHashHex: string): string {
  return h('00', entryHashHex);
}

function node(left: string, right: string): string {
  return h('01', left, right);
}

/** The Merkle root (RFC 6962 tree shape) over entry hashes in sequence order. */
export function merkleRoot(hashes: string[]): string {
  if (hashes.length === 0) return createHash('sha256').digest('hex');
  let level = hashes.map(leaf);
  while (level.length > 1) {
    const next: string[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? node(level[i], level[i + 1]) : level[i]);
    level = next;
  }
  return level[0];
}

/**
 * Builds the same Merkle root as `merkleRoot` one entry at a time, in O(log n) memory: perfect subtrees are
 * merged as they fill, and the root folds the remaining ones from the right.
 */
export class MerkleAccumulator {
  private stack: { size: number; hash: string }[] = [];
  count = 0;

  push(entryHashHex: string): void {
    let top = { size: 1, hash: leaf(entryHashHex) };
    while (this.stack.length && this.stack[this.stack.length - 1].size === top.size) {
      const left = this.stack.pop()!;
      top = { size: left.size * 2, hash: node(left.hash, top.hash) };
    }
    this.stack.push(top);
    this.count++;
  }

  /** The accumulator's state (the roots of its perfect subtrees), to continue from later. */
  state(): { count: number; stack: { size: number; hash: string }[] } {
    return { count: this.count, stack: this.stack.map((x) => ({ ...x })) };
  }

  /** An accumulator continuing from a saved state; null when the state is not consistent. */
  static restore(state: { count: number; stack: { size: number; hash: string }[] }): MerkleAccumulator | null {
    const sizes = state.stack.map((x) => x.size);
    const valid = Number.isSafeInteger(state.count) && sizes.reduce((a, b) => a + b, 0) === state.count && sizes.every((x, i) => (x & (x - 1)) === 0 && (i === 0 || x < sizes[i - 1]));
    if (!valid) return null;
    const acc = new MerkleAccumulator();
    acc.stack = state.stack.map((x) => ({ ...x }));
    acc.count = state.count;
    return acc;
  }

  root(): string {
    if (!this.stack.length) return createHash('sha256').digest('hex');
    let acc = this.stack[this.stack.length - 1].hash;
    for (let i = this.stack.length - 2; i >= 0; i--) acc = node(this.stack[i].hash, acc);
    return acc;
  }
}

/** One step of an inclusion proof: the sibling hash and which side it is on. */
export interface ProofStep {
  sibling: string;
  side: 'left' | 'right';
}

/** The inclusion proof of the entry at `index` (0-based) among `hashes`. */
export function inclusionProof(hashes: string[], index: number): ProofStep[] {
  if (index < 0 || index >= hashes.length) throw new RangeError(`index ${index} outside 0..${hashes.length - 1}`);
  const proof: ProofStep[] = [];
  let level = hashes.map(leaf);
  let i = index;
  while (level.length > 1) {
    const sib = i % 2 === 0 ? i + 1 : i - 1;
    if (sib < level.length) proof.push({ sibling: level[sib], side: i % 2 === 0 ? 'right' : 'left' });
    const next: string[] = [];
    for (let k = 0; k < level.length; k += 2) next.push(k + 1 < level.length ? node(level[k], level[k + 1]) : level[k]);
    level = next;
    i = Math.floor(i / 2);
  }
  return proof;
}

/** Whether an entry hash with this proof leads to the root. */
export function verifyInclusion(entryHashHex: string, proof: ProofStep[], root: string): boolean {
  let acc = leaf(entryHashHex);
  for (const step of proof) acc = step.side === 'right' ? node(acc, step.sibling) : node(step.sibling, acc);
  return acc === root;
}

/** The first problem found in a run of entries, or null when the chain holds. */
export interface ChainFault {
  seq: number;
  problem: 'edited' | 'missing' | 'inserted or reordered' | 'bad link';
  detail: string;
}

/**
 * Walks entries in stored order and names the first bad one: a changed entry (its hash no longer matches),
 * a gap in the sequence (deleted), a sequence out of order (inserted or reordered), or a broken link.
 */
export function findFault(entries: Iterable<AuditEntry>, start: { seq: number; hash: string } = { seq: 0, hash: GENESIS_HASH }): ChainFault | null {
  let expectSeq = start.seq + 1;
  let prev = start.hash;
  for (const e of entries) {
    if (e.seq > expectSeq) return { seq: expectSeq, problem: 'missing', detail: `entries ${expectSeq}..${e.seq - 1} are missing (deleted)` };
    if (e.seq < expectSeq) return { seq: e.seq, problem: 'inserted or reordered', detail: `entry ${e.seq} stands after entry ${expectSeq - 1}` };
    if (entryHash(e.seq, e.prevHash, e) !== e.hash) return { seq: e.seq, problem: 'edited', detail: `entry ${e.seq} does not match its hash` };
    if (e.prevHash !== prev) return { seq: e.seq, problem: 'bad link', detail: `entry ${e.seq} does not link to entry ${e.seq - 1}` };
    prev = e.hash;
    expectSeq++;
  }
  return null;
}
