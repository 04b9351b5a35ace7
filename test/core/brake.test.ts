import { describe, expect, it } from 'vitest';
import type { TargetConfig } from '../../src/config/types.js';
import { BRAKE_MIN_TARGETS, isMassFailure, kubernetesReportsReady } from '../../src/core/brake.js';
import type { CycleInput } from '../../src/core/plan.js';
import { OBSERVER_SUBJECT } from '../../src/core/subject.js';
import type { ClusterSnapshot, Observation } from '../../src/core/types.js';
import { MIN, node, SEC, snapshot, T0, target, workload } from './fixtures.js';
import { Loop } from './loop.js';

const http = { http: { url: 'http://svc.example:8080/health', timeout: 5 * SEC, expectStatus: 200 } };
const tcp = { tcp: { host: 'svc.example', port: 1883, timeout: 5 * SEC } };
const names = (n: number, prefix = 'svc') => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(2, '0')}`);
const probed = (name: string, overrides: Partial<TargetConfig> = {}) => target(name, { probe: http, ...overrides });
const fail = (t: string, detail = 'timeout after 5s'): Observation => ({ target: t, result: 'fail', detail });
const ok = (t: string): Observation => ({ target: t, result: 'ok', detail: 'HTTP 200' });
const CYCLE = 30 * SEC;

/** Every target on a Ready node with its pods Ready (Kubernetes says all is well). */
function allReady(targets: TargetConfig[], overrides: Record<string, Parameters<typeof workload>[2]> = {}): ClusterSnapshot {
  return snapshot([node('node-a'), node('node-b')], targets.map((t) => workload(t.name, ['node-a'], overrides[t.name] ?? {})));
}

function loopOf(targets: TargetConfig[]): Loop {
  const config: CycleInput['config'] = { targets, watchNodes: true, reopenWindow: 10 * MIN, notify: { escalateAfter: 15 * MIN } };
  return new Loop({ config, silences: [] });
}

/** Runs cycles 0..n-1 where the targets in `failing(i)` fail and every other target answers. */
function run(loop: Loop, targets: TargetConfig[], cycles: Array<Set<string>>, snap = allReady(targets), start = 0) {
  cycles.forEach((failing, i) => loop.cycle(T0 + (start + i) * CYCLE, snap, targets.map((t) => (failing.has(t.name) ? fail(t.name) : ok(t.name)))));
}

const open = (loop: Loop) => loop.incidents.filter((i) => i.state !== 'resolved').map((i) => i.subject).sort();
const rings = (loop: Loop) => loop.effects('postMessage').filter((e) => e.type === 'postMessage' && e.mention).length + loop.effects('ring').length;

describe('isMassFailure: at least half of the probed targets, and at least 3', () => {
  it.each([
    [2, 4, false, 'half, but fewer than 3'],
    [3, 6, true, 'exactly half, and 3'],
    [3, 7, false, '3, but less than half'],
    [2, 2, false, 'all, but fewer than 3'],
    [3, 3, true, 'all three'],
    [10, 20, true, 'exactly half of 20'],
    [9, 20, false, 'one short of half of 20'],
    [0, 0, false, 'nothing probed'],
  ])('%d of %d: %s (%s)', (failing, of, expected) => {
    expect(isMassFailure(failing, of)).toBe(expected);
  });

  it('the floor is 3', () => {
    expect(BRAKE_MIN_TARGETS).toBe(3);
  });
});

describe('kubernetesReportsReady', () => {
  const t = probed('cam');
  it.each([
    ['pods Ready on a Ready node', snapshot([node('node-a')], [workload('cam', ['node-a'])]), true],
    ['a pod not Ready', snapshot([node('node-a')], [workload('cam', ['node-a'], { readyReplicas: 0 })]), false],
    ['its node NotReady', snapshot([node('node-a', { ready: 'False' })], [workload('cam', ['node-a'])]), false],
    ['its node Unknown', snapshot([node('node-a', { ready: 'Unknown' })], [workload('cam', ['node-a'])]), false],
    ['its node cordoned (still runs its pods)', snapshot([node('node-a', { unschedulable: true })], [workload('cam', ['node-a'])]), true],
    ['its workload missing', snapshot([node('node-a')], [workload('cam', ['node-a'], { found: false })]), false],
    ['no data about it', snapshot([node('node-a')], []), false],
  ])('%s: %s', (_name, snap, expected) => {
    expect(kubernetesReportsReady(t, snap as Extract<ClusterSnapshot, { reachable: true }>)).toBe(expected);
  });
});

describe('planCycle: the mass-failure brake engages', () => {
  it.each([
    [2, 4, false],
    [3, 6, true],
    [3, 7, false],
    [2, 2, false],
    [14, 20, true],
  ])('%d of %d HTTP targets turning down in one cycle while Kubernetes reports them Ready: brake %s', (failingCount, total, brakes) => {
    const targets = names(total).map((n) => probed(n));
    const failing = new Set(names(failingCount));
    const loop = loopOf(targets);
    run(loop, targets, [new Set(), failing, failing]);
    if (brakes) {
      expect(open(loop)).toEqual([OBSERVER_SUBJECT]);
      const observer = loop.incidents.find((i) => i.subject === OBSERVER_SUBJECT)!;
      expect(observer).toMatchObject({
        kind: 'observer',
        state: 'open',
        targets: [...failing].sort(),
        cause: `${failingCount} of ${total} targets stopped answering at once while Kubernetes reports them Ready — is stormguard's network broken?`,
      });
      expect(rings(loop)).toBe(1);
      expect(loop.restartsAsked()).toEqual([]);
      // Each held target's refusal is audited once, quietly: the observer message already says restarts hold.
      expect(loop.audits('restartSkipped').map((a) => [a.reason, a.detail.target])).toEqual([...failing].sort().map((t) => ['massFailure', t]));
      expect(loop.effects('threadNote')).toEqual([]);
    } else {
      expect(open(loop)).toEqual([...failing].map((t) => `target:${t}`).sort());
      expect(rings(loop)).toBe(failingCount);
      expect(loop.restartsAsked()).toHaveLength(failingCount);
    }
  });

  it('a blip shorter than failureThreshold opens nothing: the brake waits for the first target to be confirmed down', () => {
    const targets = names(6).map((n) => probed(n));
    const loop = loopOf(targets);
    run(loop, targets, [new Set(), new Set(names(6)), new Set(), new Set(names(6)), new Set()]);
    expect(loop.incidents).toEqual([]);
  });

  it('with failureThreshold 1 it engages in the first failing cycle', () => {
    const targets = names(4).map((n) => probed(n, { failureThreshold: 1 }));
    const loop = loopOf(targets);
    run(loop, targets, [new Set(), new Set(names(3))]);
    expect(open(loop)).toEqual([OBSERVER_SUBJECT]);
  });

  it('counts targets whose failures began within one hysteresis window, whatever their failureThreshold: the slower ones join, none opens its own', () => {
    const targets = [...names(3, 'fast').map((n) => probed(n)), ...names(3, 'slow').map((n) => probed(n, { failureThreshold: 3 }))];
    const loop = loopOf(targets);
    const everyone = new Set(targets.map((t) => t.name));
    run(loop, targets, [new Set(), everyone, everyone]);
    expect(open(loop)).toEqual([OBSERVER_SUBJECT]);
    expect(loop.incidents[0]?.targets).toEqual(names(3, 'fast'));
    expect(loop.incidents[0]?.cause).toMatch(/^6 of 6 targets/);
    run(loop, targets, [everyone], allReady(targets), 3);
    expect(open(loop)).toEqual([OBSERVER_SUBJECT]);
    expect(loop.incidents[0]?.targets).toEqual([...names(3, 'fast'), ...names(3, 'slow')]);
    expect(rings(loop)).toBe(1);
    expect(loop.restartsAsked()).toEqual([]);
  });

  it('targets already down before are not "at once": 2 old outages and 2 new of 4 open their own incidents', () => {
    const targets = names(4).map((n) => probed(n));
    const loop = loopOf(targets);
    const old = new Set(names(2));
    run(loop, targets, [old, old, old, new Set(names(4)), new Set(names(4))]);
    expect(open(loop)).toEqual(names(4).map((t) => `target:${t}`));
  });

  it('counts only HTTP/TCP targets: readiness-only targets are neither suspect nor in the denominator', () => {
    const targets = [...names(3).map((n) => probed(n, n.endsWith('2') ? { probe: tcp } : {})), ...names(10, 'plain').map((n) => target(n))];
    const loop = loopOf(targets);
    run(loop, targets, [new Set(), new Set(names(3)), new Set(names(3))]);
    expect(open(loop)).toEqual([OBSERVER_SUBJECT]);
    expect(loop.incidents[0]?.cause).toMatch(/^3 of 3 targets/);
  });

  it('readiness-only targets failing together are Kubernetes’ news, not a suspect view', () => {
    const targets = names(4).map((n) => target(n));
    const loop = loopOf(targets);
    const notReady = allReady(targets, Object.fromEntries(names(4).map((n) => [n, { readyReplicas: 0 }])));
    loop.cycle(T0, allReady(targets), targets.map((t) => ok(t.name)));
    for (const i of [1, 2]) loop.cycle(T0 + i * CYCLE, notReady, targets.map((t) => fail(t.name, '0/1 pods ready')));
    expect(open(loop)).toEqual(names(4).map((t) => `target:${t}`));
  });

  it('probes failing where Kubernetes also reports trouble (pods not Ready) do not count', () => {
    const targets = names(4).map((n) => probed(n));
    const loop = loopOf(targets);
    const notReady = allReady(targets, Object.fromEntries(names(3).map((n) => [n, { readyReplicas: 0 }])));
    loop.cycle(T0, allReady(targets), targets.map((t) => ok(t.name)));
    for (const i of [1, 2]) loop.cycle(T0 + i * CYCLE, notReady, targets.map((t) => (names(3).includes(t.name) ? fail(t.name) : ok(t.name))));
    expect(open(loop)).toEqual(names(3).map((t) => `target:${t}`));
  });

  it('unknown observations (a cache out of sync) are not probed targets', () => {
    const targets = names(8).map((n) => probed(n));
    const loop = loopOf(targets);
    const unknown = (t: string): Observation => ({ target: t, result: 'unknown', detail: 'Pod in nvr: HTTP 500' });
    // 3 fail, 3 answer, 2 unknown: 3 of 6 probed.
    const observe = () => targets.map((t, i) => (i < 3 ? fail(t.name) : i < 6 ? ok(t.name) : unknown(t.name)));
    loop.cycle(T0, allReady(targets), targets.map((t) => ok(t.name)));
    for (const i of [1, 2]) loop.cycle(T0 + i * CYCLE, allReady(targets), observe());
    expect(loop.incidents[0]?.cause).toMatch(/^3 of 6 targets/);
  });
});

describe('planCycle: while the brake holds, and its release', () => {
  /** 20 HTTP targets, 14 of which stopped answering at once: the brake holds. */
  function engaged() {
    const targets = names(20).map((n) => probed(n));
    const loop = loopOf(targets);
    const fourteen = new Set(names(14));
    run(loop, targets, [new Set(), fourteen, fourteen]);
    expect(open(loop)).toEqual([OBSERVER_SUBJECT]);
    return { targets, loop, fourteen };
  }

  it('holds while the probes keep failing, and a reaction cycle (no probes) changes nothing', () => {
    const { targets, loop, fourteen } = engaged();
    const before = loop.incidents;
    run(loop, targets, [fourteen, fourteen, fourteen], allReady(targets), 3);
    loop.cycle(T0 + 6 * CYCLE, allReady(targets), []);
    expect(loop.incidents).toEqual(before);
    expect(rings(loop)).toBe(1);
    expect(loop.restartsAsked()).toEqual([]);
  });

  it('releases once the probes answer again for all but one (after successThreshold); that one opens its own incident, rings and is restarted', () => {
    const { targets, loop } = engaged();
    const lastOne = new Set(['svc-13']);
    run(loop, targets, [lastOne], allReady(targets), 3);
    // Answering once is not up yet (successThreshold 2): the 13 are still down, the brake holds.
    expect(open(loop)).toEqual([OBSERVER_SUBJECT]);
    run(loop, targets, [lastOne], allReady(targets), 4);
    expect(open(loop)).toEqual(['target:svc-13']);
    expect(loop.incidents.find((i) => i.subject === OBSERVER_SUBJECT)).toMatchObject({
      state: 'resolved',
      cause: "stormguard's view looks sound again: 1 of 20 probed targets fail while Kubernetes reports them Ready; any still down get their own incidents",
    });
    expect(rings(loop)).toBe(2);
    expect(loop.restartsAsked()).toEqual([{ target: 'svc-13', automatic: true, requestedBy: 'scheduler' }]);
  });

  it('holds every automatic restart, also of a target in an incident of its own, saying so once in that thread', () => {
    const targets = names(4).map((n) => probed(n));
    const loop = loopOf(targets);
    // svc-03 has been down on its own (and restarted once) before the others fail at once.
    run(loop, targets, [new Set(['svc-03']), new Set(['svc-03'])]);
    expect(open(loop)).toEqual(['target:svc-03']);
    expect(loop.restartsAsked()).toHaveLength(1);
    const all = new Set(names(4));
    run(loop, targets, [all, all, all, all, all, all, all, all, all, all], allReady(targets), 2);
    expect(open(loop)).toEqual([OBSERVER_SUBJECT, 'target:svc-03']);
    expect(loop.incidents.find((i) => i.subject === OBSERVER_SUBJECT)?.cause).toMatch(/^3 of 4 targets/);
    expect(loop.restartsAsked()).toHaveLength(1);
    const notes = loop.effects('threadNote').map((e) => (e.type === 'threadNote' ? e.text : ''));
    expect(notes.filter((n) => n.startsWith('Not restarting svc-03: automatic restarts hold'))).toHaveLength(1);
  });

  it('a held target that Kubernetes then reports not Ready leaves the brake: its outage is real and opens its own incident', () => {
    const { targets, loop, fourteen } = engaged();
    const podsDown = allReady(targets, { 'svc-00': { readyReplicas: 0 } });
    run(loop, targets, [fourteen], podsDown, 3);
    expect(open(loop)).toEqual([OBSERVER_SUBJECT, 'target:svc-00']);
  });

  it('a held target whose data goes missing (a cache out of sync) stays held: nothing opens on missing data', () => {
    const { targets, loop, fourteen } = engaged();
    const withoutSvc00 = snapshot([node('node-a'), node('node-b')], targets.filter((t) => t.name !== 'svc-00').map((t) => workload(t.name, ['node-a'])));
    const observations = targets.map((t) => (t.name === 'svc-00' ? { target: t.name, result: 'unknown' as const, detail: 'Pod in nvr: HTTP 500' } : fourteen.has(t.name) ? fail(t.name) : ok(t.name)));
    loop.cycle(T0 + 3 * CYCLE, withoutSvc00, observations);
    expect(open(loop)).toEqual([OBSERVER_SUBJECT]);
  });

  it('more targets failing while it holds join it quietly', () => {
    const { targets, loop } = engaged();
    const fifteen = new Set(names(15));
    run(loop, targets, [fifteen, fifteen], allReady(targets), 3);
    expect(open(loop)).toEqual([OBSERVER_SUBJECT]);
    expect(loop.incidents[0]?.targets).toContain('svc-14');
    expect(rings(loop)).toBe(1);
  });

  it('releases at the boundary: 10 of 20 still out holds, 9 of 20 releases and the 9 get their own incidents', () => {
    const { targets, loop } = engaged();
    run(loop, targets, [new Set(names(10)), new Set(names(10))], allReady(targets), 3);
    expect(open(loop)).toEqual([OBSERVER_SUBJECT]);
    run(loop, targets, [new Set(names(9)), new Set(names(9))], allReady(targets), 5);
    expect(open(loop)).toEqual(names(9).map((t) => `target:${t}`));
  });
});
