import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MerkleAccumulator, inclusionProof, merkleRoot, verifyInclusion } from './chain.ts';

const hashes = (n: number) => Array.from({ length: n }, (_, i) => createHash('sha256').update(`entry ${i}`).digest('hex'));

describe('Merkle tree over audit entries', () => {
  it('proves the inclusion of every entry for trees of 1 to 33 entries', () => {
    for (let n = 1; n <= 33; n++) {
      const hs = hashes(n);
      const root = merkleRoot(hs);
      for (let i = 0; i < n; i++) expect(verifyInclusion(hs[i], inclusionProof(hs, i), root)).toBe(true);
    }
  });

  it('rejects a proof for a changed entry, another position or another root', () => {
    const hs = hashes(10);
    const root = merkleRoot(hs);
    const p = inclusionProof(hs, 3);
    expect(verifyInclusion(hs[4], p, root)).toBe(false);
    expect(verifyInclusion(hs[3], p, merkleRoot(hashes(11)))).toBe(false);
    expect(verifyInclusion(hs[3], inclusionProof(hs, 2), root)).toBe(false);
  });

  it('changes the root when any entry changes or entries are reordered', () => {
    const hs = hashes(8);
    const root = merkleRoot(hs);
    expect(merkleRoot([hs[1], hs[0], ...hs.slice(2)])).not.toBe(root);
    expect(merkleRoot(hs.slice(0, 7))).not.toBe(root);
  });

  it('builds the same roots incrementally as over the whole list', () => {
    const hs = hashes(70);
    const acc = new MerkleAccumulator();
    for (let n = 1; n <= hs.length; n++) {
      acc.push(hs[n - 1]);
      expect(acc.root()).toBe(merkleRoot(hs.slice(0, n)));
    }
  });
});
