// Audit trail (审计): search, chain verification and signed checkpoints.
import { request } from './client';
import type { AuditPage, AuditQuery, AuditVerifyResult, Checkpoint, CheckpointList } from './types';

export function searchAudit(q: AuditQuery, signal?: AbortSignal): Promise<AuditPage> {
  return request<AuditPage>('/audit/entries', { query: { ...q }, signal });
}

/** Re-walks the hash chain and every checkpoint; names the first bad entry. */
export function verifyAudit(): Promise<AuditVerifyResult> {
  return request<AuditVerifyResult>('/audit/verify', { method: 'POST' });
}

export function listCheckpoints(signal?: AbortSignal): Promise<CheckpointList> {
  return request<CheckpointList>('/audit/checkpoints', { signal });
}

export function signCheckpoint(): Promise<Checkpoint> {
  return request<Checkpoint>('/audit/checkpoints', { method: 'POST' });
}
