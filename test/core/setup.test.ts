import { describe, expect, it } from 'vitest';
import { evaluateGate } from '../../src/core/gate.js';
import { initialTargetState } from '../../src/core/hysteresis.js';
import { countMissing, isSetupRefusal, nodesKnown, setupProblems, setupResolution, unseenTarget } from '../../src/core/setup.js';
import type { ClusterSnapshot, Observation, SnapshotSource, SourceStatus } from '../../src/core/types.js';
import { incident, MIN, node, SEC, snapshot, T0, target, workload } from './fixtures.js';
import { Loop } from './loop.js';

const fail = (t: string, detail = 'HTTP 503'): Observation => ({ target: t, result: 'fail', detail });
const ok = (t: string): Observation => ({ target: t, result: 'ok', detail: 'HTTP 200' });

/** frigate in nvr; hass (Deployment) and mqtt (StatefulSet) in home; ghost (Deployment) in nvr, fourth in the configuration. */
const targets = [
  target('frigate'),
  target('hass', { namespace: 'home' }),
  target('mqtt', { namespace: 'home', workload: { kind: 'StatefulSet', name: 'mqtt' } }),
  target('ghost'),
];
const base = { config: { targets, watchNodes: true, reopenWindow: 10 * MIN, notify: { escalateAfter: 15 * MIN } }, silences: [] };

/** The caches of the configuration above, each in sync unless `broken` says how it failed. */
function sources(broken: Partial<Record<string, SourceStatus['error']>> = {}): SnapshotSource[] {
  const all: Array<Pick<SnapshotSource, 'kind' | 'namespace' | 'targets'>> = [
    { kind: 'Node', namespace: null, targets: ['frigate', 'hass', 'mqtt', 'ghost'] },
    { kind: 'Pod', namespace: 'home', targets: ['hass', 'mqtt'] },
    { kind: 'Deployment', namespace: 'home', targets: ['hass'] },
    { kind: 'StatefulSet', namespace: 'home', targets: ['mqtt'] },
    { kind: 'Pod', namespace: 'nvr', targets: ['frigate', 'ghost'] },
    { kind: 'Deployment', namespace: 'nvr', targets: ['frigate', 'ghost'] },
  ];
  return all.map((s) => {
    const error = broken[`${s.kind}/${s.namespace ?? ''}`] ?? null;
    return { ...s, inSync: error === null, error };
  });
}

const forbidden = (resource: string, namespace: string) => ({
  message: `HTTP 403: ${resource} is forbidden: User "system:serviceaccount:stormguard:stormguard" cannot list resource "${resource}" in API group "" in the namespace "${namespace}"`,
  status: 403,
});

type Seen = Extract<ClusterSnapshot, { reachable: true }>;
const seen = (...args: Parameters<typeof snapshot>) => snapshot(...args) as Seen;

const healthyWorkloads = [workload('frigate', ['node-a']), workload('hass', ['node-a']), workload('mqtt', ['node-a']), workload('ghost', ['node-a'])];

/** A snapshot with the caches of `broken` out of sync: their targets unknown, the rest healthy on node-a. */
function partial(broken: Partial<Record<string, SourceStatus['error']>>, unknown: string[]): Seen {
  const all = seen([node('node-a')], healthyWorkloads.filter((w) => !unknown.includes(w.target)));
  return { ...all, sources: sources(broken), ...(unknown.length > 0 ? { unknownTargets: Object.fromEntries(unknown.map((t) => [t, 'Pod in home: HTTP 403'])) } : {}) };
}

const unknownObs = (t: string): Observation => ({ target: t, result: 'unknown', detail: 'Pod in home: HTTP 403' });

describe('isSetupRefusal: which failed lists a person must fix', () => {
  it.each([
    [null, false], // no answer at all (timeout, connection refused): the API does not answer
    [401, false], // credentials: every cache fails alike, the cluster incident says it
    [402, false],
    [403, true], // RBAC
    [404, true], // not served
    [405, false],
    [410, false], // an expired resourceVersion: the informer relists by itself
    [429, false],
    [500, false],
    [503, false],
  ])('HTTP %s → %s', (status, expected) => {
    expect(isSetupRefusal(status)).toBe(expected);
  });
});

describe('a list refused by RBAC (item 5)', () => {
  it('opens ONE setup incident per namespace that says what to grant, lists its targets, rings once, and leaves the others judged', () => {
    const loop = new Loop(base);
    const refused = partial({ 'Pod/home': forbidden('pods', 'home'), 'Deployment/home': forbidden('deployments', 'home') }, ['hass', 'mqtt']);
    for (let i = 0; i < 10; i++) loop.cycle(T0 + i * 30 * SEC, refused, [fail('frigate'), unknownObs('hass'), unknownObs('mqtt'), ok('ghost')]);

    expect(loop.incidents.map((i) => [i.subject, i.kind, i.state, i.targets])).toEqual([
      ['setup:forbidden/namespace/home', 'setup', 'open', ['hass', 'mqtt']],
      ['target:frigate', 'target', 'open', ['frigate']],
    ]);
    expect(loop.incidents[0]!.cause).toBe(
      'stormguard may not list/watch deployments and pods in namespace home — grant it with a Role and RoleBinding in home (copy deploy/rbac-watch-nvr.yaml and change the namespace)',
    );
    // Rung once (the opening message), however many cycles it lasts; frigate has its own.
    expect(loop.effects('postMessage')).toEqual([
      { type: 'postMessage', mention: true },
      { type: 'postMessage', mention: true },
    ]);
    expect(loop.effects('ring')).toEqual([]);
    // Nothing restarts on missing data; frigate, whose namespace is readable, is restarted as usual.
    expect([...new Set(loop.restartsAsked().map((r) => r.target))]).toEqual(['frigate']);
    expect(loop.states.hass).toEqual(initialTargetState('hass'));
  });

  it('keeps the incident open while the cache fails otherwise, and resolves it once the cache is back in sync', () => {
    const loop = new Loop(base);
    const refused = partial({ 'Pod/home': forbidden('pods', 'home') }, ['hass', 'mqtt']);
    loop.cycle(T0, refused, []);
    // The Role was added but the API now times out: nothing says the fix worked, and the targets are still unknown.
    const timingOut = partial({ 'Pod/home': { message: 'timeout after 10s', status: null } }, ['hass', 'mqtt']);
    loop.cycle(T0 + 30 * SEC, timingOut, []);
    expect(loop.incidents.map((i) => [i.subject, i.state])).toEqual([['setup:forbidden/namespace/home', 'open']]);
    // An API that does not answer at all resolves nothing either.
    loop.cycle(T0 + 60 * SEC, { reachable: false, observedAt: T0, error: 'connection refused' }, []);
    loop.cycle(T0 + 90 * SEC, { reachable: false, observedAt: T0, error: 'connection refused' }, []);
    expect(loop.incidents.map((i) => [i.subject, i.state])).toEqual([
      ['setup:forbidden/namespace/home', 'open'],
      ['cluster', 'open'],
    ]);

    loop.cycle(T0 + 120 * SEC, partial({}, []), [ok('frigate'), ok('hass'), ok('mqtt'), ok('ghost')]);
    expect(loop.incidents.find((i) => i.kind === 'setup')).toMatchObject({ state: 'resolved', cause: 'stormguard reads namespace home again' });
  });

  it('opens nothing for a cache that is merely not in sync yet or failing with 5xx', () => {
    for (const error of [null, { message: 'HTTP 500: etcd leader changed', status: 500 }, { message: 'timeout after 10s', status: null }]) {
      const loop = new Loop(base);
      const stale = partial({ 'Pod/home': error }, ['hass', 'mqtt']);
      // `null` error on a cache not in sync: its first list has not finished.
      const snap: ClusterSnapshot = { ...stale, sources: stale.sources!.map((s) => (s.kind === 'Pod' && s.namespace === 'home' ? { ...s, inSync: false } : s)) };
      for (let i = 0; i < 5; i++) loop.cycle(T0 + i * 30 * SEC, snap, [ok('frigate'), unknownObs('hass'), unknownObs('mqtt'), ok('ghost')]);
      expect(loop.incidents).toEqual([]);
    }
  });

  it('says "does not serve" for a 404, one incident per cause', () => {
    const notServed = { message: 'HTTP 404: the server could not find the requested resource', status: 404 };
    const [problem, ...others] = setupProblems(partial({ 'StatefulSet/home': notServed, 'Pod/nvr': forbidden('pods', 'nvr') }, ['mqtt', 'frigate', 'ghost']), targets, new Map());
    expect(others).toHaveLength(1);
    expect(problem).toEqual({
      subject: 'setup:forbidden/namespace/nvr',
      cause: 'stormguard may not list/watch pods in namespace nvr — grant it with a Role and RoleBinding in nvr (copy deploy/rbac-watch-nvr.yaml and change the namespace)',
      targets: ['frigate', 'ghost'],
    });
    expect(others[0]).toEqual({
      subject: 'setup:notfound/namespace/home',
      cause: "the Kubernetes API does not serve statefulsets in namespace home (HTTP 404), so its targets are not checked — check kubernetes.kubeconfig's server URL (a proxy in front of the API?)",
      targets: ['mqtt'],
    });
  });

  it('resolves a namespace nobody reads any more (the target left the configuration)', () => {
    const open = incident({ subject: 'setup:forbidden/namespace/media', kind: 'setup', targets: ['jellyfin'] });
    expect(setupResolution(open.subject, partial({}, []), targets)).toBe('no target reads namespace media any more');
    // Without any source to go by, it stays as it is.
    expect(setupResolution(open.subject, snapshot([node('node-a')], healthyWorkloads), targets)).toBeNull();
  });
});

describe('the nodes refused by RBAC (item 5)', () => {
  /** What the adapter reports when the API answers but refuses the nodes: every target unknown. */
  const nodesRefused: ClusterSnapshot = {
    reachable: true,
    observedAt: T0,
    nodes: {},
    workloads: {},
    unknownTargets: Object.fromEntries(targets.map((t) => [t.name, 'nodes: HTTP 403'])),
    sources: sources({ 'Node/': forbidden('nodes', '') }),
  };
  const allUnknown = targets.map((t) => unknownObs(t.name));

  it('is one setup incident listing every target, not "Kubernetes API unreachable": the API answered', () => {
    const loop = new Loop(base);
    loop.cycle(T0, { reachable: false, observedAt: T0, error: 'connection refused' }, []);
    loop.cycle(T0 + 30 * SEC, { reachable: false, observedAt: T0, error: 'connection refused' }, []);
    expect(loop.incidents.map((i) => [i.subject, i.state])).toEqual([['cluster', 'open']]);
    for (let i = 2; i < 7; i++) loop.cycle(T0 + i * 30 * SEC, nodesRefused, allUnknown);
    // The API answers (with a refusal): the cluster incident resolves, the setup incident says what to fix.
    expect(loop.incidents.map((i) => [i.subject, i.state, i.targets])).toEqual([
      ['setup:forbidden/nodes', 'open', ['frigate', 'ghost', 'hass', 'mqtt']],
      ['cluster', 'resolved', []],
    ]);
    expect(loop.incidents[0]!.cause).toBe(
      'stormguard may not list/watch nodes, so no target is checked — apply deploy/rbac-nodes.yaml (a ClusterRole and ClusterRoleBinding for the ServiceAccount)',
    );
    expect(loop.restartsAsked()).toEqual([]);
  });

  it('leaves an open node incident exactly as it was (no node data is no news), and a down target unrestarted', () => {
    const loop = new Loop(base);
    const nodeDown = snapshot([node('node-a', { ready: 'False' })], healthyWorkloads);
    loop.cycle(T0, nodeDown, [fail('frigate'), ok('hass'), ok('mqtt'), ok('ghost')]);
    loop.cycle(T0 + 30 * SEC, nodeDown, [fail('frigate'), ok('hass'), ok('mqtt'), ok('ghost')]);
    const before = loop.incidents.find((i) => i.subject === 'node:node-a')!;
    expect(before).toMatchObject({ state: 'open', targets: ['frigate'] });
    for (let i = 2; i < 8; i++) loop.cycle(T0 + i * 30 * SEC, nodesRefused, allUnknown);
    expect(loop.incidents.find((i) => i.subject === 'node:node-a')).toEqual(before);
    expect(loop.restartsAsked()).toEqual([]);
    expect(nodesKnown(nodesRefused)).toBe(false);
    expect(nodesKnown(nodeDown)).toBe(true);
    expect(nodesKnown({ reachable: false, observedAt: T0, error: 'x' })).toBe(false);
  });
});

describe('a cluster-wide cache refused by RBAC (watchScope cluster)', () => {
  /** The caches of the configuration above read cluster-wide: nodes, then pods and each kind once. */
  const clusterSources = (refused: boolean): SnapshotSource[] => {
    const error = refused ? { message: 'HTTP 403: pods is forbidden: … at the cluster scope', status: 403 } : null;
    return [
      { kind: 'Node', namespace: null, targets: ['frigate', 'hass', 'mqtt', 'ghost'], inSync: true, error: null },
      { kind: 'Pod', namespace: null, targets: ['frigate', 'hass', 'mqtt', 'ghost'], inSync: !refused, error },
      { kind: 'Deployment', namespace: null, targets: ['frigate', 'hass', 'ghost'], inSync: !refused, error },
      { kind: 'StatefulSet', namespace: null, targets: ['mqtt'], inSync: true, error: null },
    ];
  };
  const refused = { ...seen([node('node-a')], []), unknownTargets: Object.fromEntries(targets.map((t) => [t.name, 'Pod (all namespaces): HTTP 403'])), sources: clusterSources(true) };

  it('is one setup incident naming the ClusterRole or watchScope: namespaces, and the nodes stay known', () => {
    expect(setupProblems(refused, targets, new Map())).toEqual([
      {
        subject: 'setup:forbidden/cluster',
        cause:
          'stormguard may not list/watch deployments and pods in all namespaces — apply deploy/rbac-watch-cluster.yaml (or set the chart value rbac.watchClusterWide: true), or set kubernetes.watchScope: namespaces to read each namespace with its own Role',
        targets: ['frigate', 'ghost', 'hass', 'mqtt'],
      },
    ]);
    expect(nodesKnown(refused)).toBe(true);
  });

  it('resolves once the cluster-wide caches are back in sync, or when nothing reads them (scope back to namespaces)', () => {
    expect(setupResolution('setup:forbidden/cluster', refused, targets)).toBeNull();
    expect(setupResolution('setup:forbidden/cluster', { ...refused, sources: clusterSources(false) }, targets)).toBe('stormguard reads all namespaces again');
    expect(setupResolution('setup:forbidden/cluster', partial({}, []), targets)).toBe('no target reads all namespaces any more');
  });
});

describe('a missing workload (item 7)', () => {
  const missing = (found: boolean, others = healthyWorkloads.filter((w) => w.target !== 'ghost')): ClusterSnapshot =>
    snapshot([node('node-a')], [...others, found ? workload('ghost', ['node-a']) : workload('ghost', [], { found: false, pods: [], readyReplicas: 0, desiredReplicas: 0 })]);
  const notFound = fail('ghost', 'Deployment nvr/ghost not found');
  const quiet = [ok('frigate'), ok('hass'), ok('mqtt')];

  it.each([
    { threshold: 1, observations: 0, opens: false },
    { threshold: 1, observations: 1, opens: true },
    { threshold: 3, observations: 2, opens: false },
    { threshold: 3, observations: 3, opens: true },
  ])('failureThreshold $threshold: opens after $observations observations → $opens', ({ threshold, observations, opens }) => {
    const withThreshold = targets.map((t) => (t.name === 'ghost' ? { ...t, failureThreshold: threshold } : t));
    const loop = new Loop({ ...base, config: { ...base.config, targets: withThreshold } });
    // A cycle that does not observe ghost (a reaction, for an HTTP-probed target) does not count.
    loop.cycle(T0, missing(false), quiet);
    for (let i = 1; i <= observations; i++) loop.cycle(T0 + i * 30 * SEC, missing(false), [...quiet, notFound]);
    expect(loop.incidents.map((i) => i.subject)).toEqual(opens ? ['setup:missing/ghost'] : []);
  });

  it('is one setup incident naming the workload and where it is configured, never a restart; it resolves when the workload appears', () => {
    const loop = new Loop(base);
    for (let i = 0; i < 20; i++) loop.cycle(T0 + i * 30 * SEC, missing(false), [...quiet, notFound]);
    expect(loop.incidents.map((i) => [i.subject, i.kind, i.state, i.cause, i.targets])).toEqual([
      ['setup:missing/ghost', 'setup', 'open', 'Deployment nvr/ghost not found — check targets[3].workload', ['ghost']],
    ]);
    expect(loop.effects('postMessage')).toEqual([{ type: 'postMessage', mention: true }]);
    expect(loop.restartsAsked()).toEqual([]);
    // Its probe is not judged: the target is neither down nor has its own incident.
    expect(loop.states.ghost).toMatchObject({ health: 'up', consecutiveFailures: 0, consecutiveMissing: 20 });

    // Re-created (its pods still starting): the setup incident resolves, the target is judged from here on.
    loop.cycle(T0 + 30 * MIN, missing(true), [...quiet, fail('ghost', '0/1 pods ready')]);
    expect(loop.incidents.map((i) => [i.subject, i.state, i.cause])).toEqual([['setup:missing/ghost', 'resolved', 'Deployment nvr/ghost exists']]);
    expect(loop.states.ghost).toMatchObject({ health: 'up', consecutiveFailures: 1, consecutiveMissing: 0 });
  });

  it('neither counts nor resolves while the target is unknown, and resolves when the target leaves the configuration', () => {
    const loop = new Loop(base);
    loop.cycle(T0, missing(false), [...quiet, notFound]);
    loop.cycle(T0 + 30 * SEC, missing(false), [...quiet, notFound]);
    const unknown: ClusterSnapshot = { ...seen([node('node-a')], healthyWorkloads.filter((w) => w.target !== 'ghost')), unknownTargets: { ghost: 'Deployment in nvr: HTTP 500' } };
    loop.cycle(T0 + 60 * SEC, unknown, [...quiet, unknownObs('ghost')]);
    expect(loop.states.ghost?.consecutiveMissing).toBe(2);
    expect(loop.incidents.map((i) => i.state)).toEqual(['open']);

    expect(setupResolution('setup:missing/ghost', missing(false), targets.slice(0, 3))).toBe('ghost is no longer in the configuration');
  });

  it('counts only observed cycles with the workload known to be missing', () => {
    const state = { ...initialTargetState('ghost'), consecutiveMissing: 2 };
    expect(countMissing(state, missing(false), true).consecutiveMissing).toBe(3);
    expect(countMissing(state, missing(false), false).consecutiveMissing).toBe(2);
    expect(countMissing(state, missing(true), false).consecutiveMissing).toBe(0);
    expect(countMissing(state, { reachable: false, observedAt: T0, error: 'x' }, true).consecutiveMissing).toBe(2);
  });

  it('the gate refuses a person with the same sentence (one gate for both)', () => {
    const decision = evaluateGate({ targetName: 'ghost', mode: 'manual', targets, snapshot: missing(false), restarts: [], incident: null, silences: [], now: T0 });
    expect(decision).toEqual({ allowed: false, reason: 'workloadMissing', message: 'Deployment nvr/ghost not found — check targets[3].workload', context: { target: 'ghost' } });
  });
});

describe('setup.ts pinned exactly (what mutation testing left open)', () => {
  const unreachable: ClusterSnapshot = { reachable: false, observedAt: T0, error: 'timeout' };
  const notFound = { message: 'HTTP 404: Not Found', status: 404 };
  const missingGhost = (): Seen => seen([node('node-a')], [...healthyWorkloads.slice(0, 3), workload('ghost', [], { found: false })]);

  it('unseenTarget: why a target cannot be judged — its unknown data first, then its missing workload (index 0 too), else null', () => {
    expect(unseenTarget(unreachable, targets, 'frigate')).toBeNull();
    const blind = partial({ 'Pod/home': forbidden('pods', 'home') }, ['hass']);
    expect(unseenTarget(blind, targets, 'hass')).toBe('Pod in home: HTTP 403');
    expect(unseenTarget(blind, targets, 'frigate')).toBeNull();
    expect(unseenTarget(missingGhost(), targets, 'ghost')).toBe('Deployment nvr/ghost not found — check targets[3].workload');
    const first = [target('ghost'), ...targets.slice(0, 3)];
    expect(unseenTarget(missingGhost(), first, 'ghost')).toBe('Deployment nvr/ghost not found — check targets[0].workload');
    // Not configured: nothing to say, even when the snapshot knows the name.
    expect(unseenTarget(missingGhost(), targets.slice(0, 3), 'ghost')).toBeNull();
  });

  it('nodesKnown: only the nodes cache out of sync (or an unreachable API) hides the nodes', () => {
    expect(nodesKnown(unreachable)).toBe(false);
    expect(nodesKnown(seen([node('node-a')], healthyWorkloads))).toBe(true);
    expect(nodesKnown(partial({}, []))).toBe(true);
    expect(nodesKnown(partial({ 'Pod/home': forbidden('pods', 'home') }, ['hass', 'mqtt']))).toBe(true);
    expect(nodesKnown(partial({ 'Node/': forbidden('nodes', '') }, []))).toBe(false);
  });

  it('setupProblems: none without the API; sorted by subject; each scope lists its targets once; a missing workload only from failureThreshold observations on', () => {
    expect(setupProblems(unreachable, targets, new Map())).toEqual([]);
    const both = partial({ 'Pod/nvr': notFound, 'Deployment/nvr': notFound, 'Pod/home': forbidden('pods', 'home') }, ['frigate', 'ghost', 'hass', 'mqtt']);
    expect(setupProblems(both, targets, new Map())).toEqual([
      {
        subject: 'setup:forbidden/namespace/home',
        cause: 'stormguard may not list/watch pods in namespace home — grant it with a Role and RoleBinding in home (copy deploy/rbac-watch-nvr.yaml and change the namespace)',
        targets: ['hass', 'mqtt'],
      },
      {
        subject: 'setup:notfound/namespace/nvr',
        cause: "the Kubernetes API does not serve deployments and pods in namespace nvr (HTTP 404), so its targets are not checked — check kubernetes.kubeconfig's server URL (a proxy in front of the API?)",
        targets: ['frigate', 'ghost'],
      },
    ]);
    const nodes404 = partial({ 'Node/': notFound }, []);
    expect(setupProblems(nodes404, targets, new Map()).map((p) => p.cause)).toEqual([
      "the Kubernetes API does not serve nodes (HTTP 404), so no target is checked — check kubernetes.kubeconfig's server URL (a proxy in front of the API?)",
    ]);
    const home = partial({ 'Pod/home': forbidden('pods', 'home'), 'Deployment/home': forbidden('deployments', 'home'), 'StatefulSet/home': forbidden('statefulsets', 'home') }, ['hass', 'mqtt']);
    expect(setupProblems(home, targets, new Map())[0]!.cause).toMatch(/^stormguard may not list\/watch deployments, pods and statefulsets in namespace home — /);

    const ghost = (consecutiveMissing: number) => new Map([['ghost', { ...initialTargetState('ghost'), consecutiveMissing }]]);
    expect(setupProblems(missingGhost(), targets, new Map())).toEqual([]);
    expect(setupProblems(missingGhost(), targets, ghost(1))).toEqual([]);
    expect(setupProblems(missingGhost(), targets, ghost(2))).toEqual([
      { subject: 'setup:missing/ghost', cause: 'Deployment nvr/ghost not found — check targets[3].workload', targets: ['ghost'] },
    ]);
  });

  it('setupResolution: only setup subjects of a reachable API; each cause its own sentence', () => {
    expect(setupResolution('target:frigate', partial({}, []), targets)).toBeNull();
    expect(setupResolution('setup:forbidden/nodes', unreachable, targets)).toBeNull();
    expect(setupResolution('setup:other/nodes', partial({}, []), targets)).toBeNull();
    expect(setupResolution('setup:forbidden/nodes', partial({}, []), targets)).toBe('stormguard reads the nodes again');
    expect(setupResolution('setup:notfound/namespace/home', partial({}, []), targets)).toBe('stormguard reads namespace home again');
    expect(setupResolution('setup:forbidden/namespace/home', partial({ 'Deployment/home': { message: 'HTTP 500', status: 500 } }, ['hass']), targets)).toBeNull();
    expect(setupResolution('setup:forbidden/namespace/media', partial({}, []), targets)).toBe('no target reads namespace media any more');
    // A reader without sources (no caches) cannot tell: it resolves nothing.
    expect(setupResolution('setup:forbidden/namespace/media', seen([node('node-a')], healthyWorkloads), targets)).toBeNull();
    expect(setupResolution('setup:missing/ghost', missingGhost(), targets)).toBeNull();
    expect(setupResolution('setup:missing/ghost', partial({}, []), targets)).toBe('Deployment nvr/ghost exists');
    const cams = [target('cams', { workload: { kind: 'Pods', selector: 'app=cam' } })];
    expect(setupResolution('setup:missing/cams', seen([node('node-a')], [workload('cams', ['node-a'])]), cams)).toBe('pods nvr/app=cam exists');
  });

  it('countMissing: a workload seen again resets the count, and an unchanged state is the same object', () => {
    const state = { ...initialTargetState('frigate'), consecutiveMissing: 0 };
    const healthy = seen([node('node-a')], healthyWorkloads);
    expect(countMissing(state, healthy, true)).toBe(state);
    expect(countMissing({ ...state, consecutiveMissing: 3 }, healthy, true).consecutiveMissing).toBe(0);
  });
});
