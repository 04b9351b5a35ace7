import { describe, expect, it } from 'vitest';
import { guessHeartbeatKind, heartbeatRequest, judgeCycle, REASON_MAX, type CycleFacts, type HeartbeatKind } from '../../src/core/heartbeat.js';
import type { ClusterSnapshot, SnapshotSource } from '../../src/core/types.js';

const source = (kind: string, namespace: string | null, inSync: boolean): SnapshotSource => ({ kind, namespace, inSync, targets: [], error: inSync ? null : { status: 500, message: 'boom' } });
const snap = (sources: SnapshotSource[]): ClusterSnapshot => ({ reachable: true, observedAt: 0, nodes: {}, workloads: {}, sources });
const whole: CycleFacts = { snapshot: snap([source('Node', null, true)]), cycleError: null, databaseWritable: true, discord: { reachable: true, why: null }, email: null };

describe('guessHeartbeatKind', () => {
  it.each<[string, HeartbeatKind]>([
    ['https://hc-ping.com/5f1c0d5e-8a7b-4c3d-9e2f-1a2b3c4d5e6f', 'healthchecks'],
    ['https://hc-ping.com/ping-key/stormguard?create=1', 'healthchecks'],
    ['https://hc.home.lan/ping/5f1c0d5e-8a7b-4c3d-9e2f-1a2b3c4d5e6f', 'healthchecks'],
    ['https://kuma.home.lan/api/push/Xk3pQ9', 'uptime-kuma'],
    ['https://status.home.lan/api/v1/endpoints/core_stormguard/external', 'gatus'],
    ['https://example.com/beat/secret', 'plain'],
    ['https://example.com/api/push/a/b', 'plain'],
  ])('%s → %s', (url, kind) => expect(guessHeartbeatKind(url)).toBe(kind));
});

describe('judgeCycle', () => {
  it.each<[string, Partial<CycleFacts>, string | null]>([
    ['everything whole', {}, null],
    ['a stale pod cache in one namespace', { snapshot: snap([source('Pod', 'nvr', false), source('Node', null, true)]) }, 'watch caches out of sync: pods in nvr'],
    ['stale caches everywhere', { snapshot: snap([source('Node', null, false), source('Pod', null, false), source('Pod', null, false)]) }, 'watch caches out of sync: nodes, pods in all namespaces'],
    ['the API unreachable', { snapshot: { reachable: false, observedAt: 0, error: 'ECONNREFUSED' } }, 'Kubernetes API unreachable'],
    ['the database unwritable', { databaseWritable: false }, 'database cannot be written'],
    ['a cycle that threw', { snapshot: null, cycleError: 'database is locked', databaseWritable: false }, 'database cannot be written; check cycle failed: database is locked'],
    ['Discord not told, no email', { discord: { reachable: false, why: 'refused: missingPermissions' } }, 'Discord cannot be told (refused: missingPermissions) and no email fallback is configured'],
    ['Discord not told, email working', { discord: { reachable: false, why: 'not answering' }, email: { working: true, why: null } }, null],
    ['Discord not told, email failing', { discord: { reachable: false, why: 'not answering' }, email: { working: false, why: 'ECONNREFUSED' } }, 'Discord cannot be told (not answering) and the email fallback fails (ECONNREFUSED)'],
    ['Discord fine, email failing (Discord tells people)', { email: { working: false, why: 'ECONNREFUSED' } }, null],
    ['Discord not configured', { discord: null }, null],
  ])('%s', (_name, facts, reason) => {
    const verdict = judgeCycle({ ...whole, ...facts });
    expect(verdict).toEqual(reason === null ? { whole: true } : { whole: false, reason });
  });

  it('keeps the reason to one short line', () => {
    const verdict = judgeCycle({ ...whole, cycleError: `line one\n${'x'.repeat(500)}` });
    expect(verdict.whole).toBe(false);
    const reason = verdict.whole ? '' : verdict.reason;
    expect(reason).toHaveLength(REASON_MAX);
    expect(reason).not.toContain('\n');
    expect(reason.endsWith('…')).toBe(true);
  });
});

describe('heartbeatRequest', () => {
  const failed = { phase: 'end', verdict: { whole: false, reason: 'database cannot be written' } } as const;
  const ok = { phase: 'end', verdict: { whole: true } } as const;
  const hc = 'https://hc-ping.com/ping-key/stormguard?create=1';

  it.each<[string, HeartbeatKind, string, Parameters<typeof heartbeatRequest>[2], boolean, ReturnType<typeof heartbeatRequest>]>([
    ['healthchecks success', 'healthchecks', hc, ok, false, { method: 'POST', url: hc, body: 'cycle whole' }],
    ['healthchecks failure: /fail, the reason in the body, the query kept', 'healthchecks', hc, failed, false, { method: 'POST', url: 'https://hc-ping.com/ping-key/stormguard/fail?create=1', body: 'database cannot be written' }],
    ['healthchecks start when asked', 'healthchecks', hc, { phase: 'start' }, true, { method: 'POST', url: 'https://hc-ping.com/ping-key/stormguard/start?create=1' }],
    ['healthchecks start when not asked', 'healthchecks', hc, { phase: 'start' }, false, null],
    ['uptime-kuma success', 'uptime-kuma', 'https://k/api/push/T', ok, false, { method: 'GET', url: 'https://k/api/push/T?status=up&msg=OK' }],
    ['uptime-kuma failure', 'uptime-kuma', 'https://k/api/push/T?ping=', failed, false, { method: 'GET', url: 'https://k/api/push/T?ping=&status=down&msg=database+cannot+be+written' }],
    ['gatus success', 'gatus', 'https://g/api/v1/endpoints/a_b/external', ok, false, { method: 'POST', url: 'https://g/api/v1/endpoints/a_b/external?success=true' }],
    ['gatus failure', 'gatus', 'https://g/api/v1/endpoints/a_b/external', failed, false, { method: 'POST', url: 'https://g/api/v1/endpoints/a_b/external?success=false&error=database+cannot+be+written' }],
    ['gatus never starts', 'gatus', 'https://g/api/v1/endpoints/a_b/external', { phase: 'start' }, true, null],
    ['plain success', 'plain', 'https://p/beat', ok, false, { method: 'GET', url: 'https://p/beat' }],
    ['plain failure is silence', 'plain', 'https://p/beat', failed, false, null],
  ])('%s', (_name, kind, url, signal, start, expected) => {
    expect(heartbeatRequest(kind, url, signal, { start })).toEqual(expected);
  });
});
