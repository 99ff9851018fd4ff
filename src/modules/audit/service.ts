import { fromRow, type AuditRepository, type AuditSearch } from './repository.ts';
import { GENESIS_HASH, MerkleAccumulator, entryHash, findFault, inclusionProof, merkleRoot, verifyInclusion, type AuditEntry, type AuditFacts, type ChainFault, type ProofStep } from './chain.ts';
import type { SigningKey } from './keys.ts';

/** A signed checkpoint: the chain head and the Merkle root over entries 1..seqTo, signed with the platform key. */
export interface Checkpoint {
  seqTo: number;
  at: string;
  headHash: string;
  merkleRoot: string;
  keyId: string;
  signature: string;
}

/** What `verify` found. */
export interface VerifyReport {
  ok: boolean;
  entries: number;
  checkpoints: number;
  fault: ChainFault | { seq: number; problem: 'checkpoint'; detail: string } | null;
}

function checkpointMessage(c: Omit<Checkpoint, 'signature' | 'keyId'>): Buffer {
  return Buffer.from(JSON.stringify(['xmcity-audit-checkpoint-v1', c.seqTo, c.at, c.headHash, c.merkleRoot]), 'utf8');
}

/**
 * The tamper-evident audit trail (审计日志): append-only, hash-chained entries; signed checkpoints over the head
 * and a Merkle root, so a checkpoint can be anchored in an external ledger and any entry's inclusion proved.
 */
export class AuditService {
  private tail: Promise<unknown> = Promise.resolve();
  /** The chain head as last written by this process; reloaded after any failed write. */
  private head: { seq: number; hash: string } | null = null;

  constructor(
    private readonly repo: AuditRepository,
    private readonly key: SigningKey,
  ) {}

  /**
   * Appends one entry after the current head. Appends are serialised in this process and the sequence number is
   * the primary key, so a second writer fails rather than forks the chain. A failure here must refuse the access.
   */
  append(facts: AuditFacts): Promise<AuditEntry> {
    const run = async () => {
      const head = this.head ?? (await this.repo.head()) ?? { seq: 0, hash: GENESIS_HASH };
      const seq = head.seq + 1;
      const entry: AuditEntry = { ...facts, seq, prevHash: head.hash, hash: entryHash(seq, head.hash, facts) };
      try {
        await this.repo.insert(entry);
      } catch (e) {
        this.head = null;
        throw e;
      }
      this.head = { seq, hash: entry.hash };
      return entry;
    };
    const next = this.tail.then(run, run);
    this.tail = next.catch(() => undefined);
    return next;
  }

  /**
   * Signs the current head and the Merkle root over every entry so far. The root is built from the previous
   * checkpoint's saved frontier plus the entries since, so each checkpoint reads only what is new.
   */
  async checkpoint(at = new Date().toISOString()): Promise<Checkpoint | null> {
    const head = await this.repo.head();
    if (!head) return null;
    const last = (await this.repo.checkpoints()).at(-1);
    let acc: MerkleAccumulator | null = null;
    if (last?.frontier && Number(last.seq_to) <= head.seq) {
      try {
        acc = MerkleAccumulator.restore(JSON.parse(last.frontier) as { count: number; stack: { size: number; hash: string }[] });
      } catch {
        acc = null;
      }
      if (acc && acc.count !== Number(last.seq_to)) acc = null;
    }
    acc ??= new MerkleAccumulator();
    for await (const hashes of this.repo.hashesBetween(acc.count, head.seq)) for (const h of hashes) acc.push(h);
    if (acc.count !== head.seq) throw new Error(`the audit trail has ${acc.count} entries up to ${head.seq}: entries are missing`);
    const body = { seqTo: head.seq, at, headHash: head.hash, merkleRoot: acc.root() };
    const c: Checkpoint = { ...body, keyId: this.key.keyId, signature: this.key.sign(checkpointMessage(body)) };
    await this.repo.insertCheckpoint({ ...c, frontier: JSON.stringify(acc.state()) });
    return c;
  }

  /** Signs a checkpoint when entries were appended since the last one; returns it, or null when there is nothing new. */
  async checkpointIfNew(): Promise<Checkpoint | null> {
    const head = await this.repo.head();
    const last = (await this.repo.checkpoints()).at(-1);
    if (!head || (last && Number(last.seq_to) >= head.seq)) return null;
    return this.checkpoint();
  }

  /**
   * Walks the whole trail and the checkpoints in one pass and O(log n) memory; names the first bad entry, or the
   * first checkpoint the entries no longer match.
   */
  async verify(opts: { pageSize?: number; onProgress?: (seq: number) => void } = {}): Promise<VerifyReport> {
    const pageSize = opts.pageSize ?? 10_000;
    const checkpoints = (await this.repo.checkpoints()).map((c) => ({ ...c, seqTo: Number(c.seq_to) }));
    const bad = (seq: number, detail: string, entries: number): VerifyReport => ({ ok: false, entries, checkpoints: checkpoints.length, fault: { seq, problem: 'checkpoint', detail } });
    for (const c of checkpoints) {
      const body = { seqTo: c.seqTo, at: c.at, headHash: c.head_hash, merkleRoot: c.merkle_root };
      if (c.key_id !== this.key.keyId || !this.key.verify(checkpointMessage(body), c.signature)) return bad(c.seqTo, `checkpoint at entry ${c.seqTo} has a bad signature`, 0);
    }
    let next = 0;
    let after = 0;
    let prev = { seq: 0, hash: GENESIS_HASH };
    const acc = new MerkleAccumulator();
    for (;;) {
      const rows = await this.repo.page(after, pageSize);
      if (!rows.length) break;
      const entries = rows.map(fromRow);
      const fault = findFault(entries, prev);
      if (fault) return { ok: false, entries: acc.count, checkpoints: checkpoints.length, fault };
      for (const e of entries) {
        acc.push(e.hash);
        while (next < checkpoints.length && checkpoints[next].seqTo === e.seq) {
          const c = checkpoints[next++];
          if (c.head_hash !== e.hash || c.merkle_root !== acc.root()) return bad(c.seqTo, `entries up to ${c.seqTo} no longer match the signed checkpoint`, acc.count);
        }
      }
      const last = entries[entries.length - 1];
      prev = { seq: last.seq, hash: last.hash };
      after = last.seq;
      opts.onProgress?.(after);
    }
    if (next < checkpoints.length) {
      const c = checkpoints[next];
      return bad(c.seqTo, `checkpoint covers entries up to ${c.seqTo} but the trail ends at ${acc.count} (entries were removed from the end)`, acc.count);
    }
    return { ok: true, entries: acc.count, checkpoints: checkpoints.length, fault: null };
  }

  /** Entries matching a search, newest first. */
  async search(q: AuditSearch): Promise<AuditEntry[]> {
    return (await this.repo.search(q)).map(fromRow);
  }

  /** Signed checkpoints, oldest first. */
  async checkpoints(): Promise<Checkpoint[]> {
    return (await this.repo.checkpoints()).map((c) => ({ seqTo: Number(c.seq_to), at: c.at, headHash: c.head_hash, merkleRoot: c.merkle_root, keyId: c.key_id, signature: c.signature }));
  }

  /** The public key checkpoints are signed with (PEM), for checking them outside the platform. */
  publicKey(): { keyId: string; publicKeyPem: string } {
    return { keyId: this.key.keyId, publicKeyPem: this.key.publicKeyPem };
  }

  /** Proof that entry `seq` is included under the checkpoint covering it. */
  async proof(seq: number): Promise<{ entryHash: string; checkpoint: Checkpoint; proof: ProofStep[] } | null> {
    const cp = (await this.repo.checkpoints()).find((c) => Number(c.seq_to) >= seq);
    if (!cp || seq < 1) return null;
    const hashes = await this.repo.hashesUpTo(Number(cp.seq_to));
    const checkpoint: Checkpoint = { seqTo: Number(cp.seq_to), at: cp.at, headHash: cp.head_hash, merkleRoot: cp.merkle_root, keyId: cp.key_id, signature: cp.signature };
    return { entryHash: hashes[seq - 1], checkpoint, proof: inclusionProof(hashes, seq - 1) };
  }

  /** Checks a proof against its checkpoint's root. */
  static verifyProof(p: { entryHash: string; checkpoint: Checkpoint; proof: ProofStep[] }): boolean {
    return verifyInclusion(p.entryHash, p.proof, p.checkpoint.merkleRoot);
  }
}
