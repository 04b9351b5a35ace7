import { describe, expect, it } from 'vitest';
import { CHANGE_WINDOW_MS, diagnose, diagnoseTargets, diagnosisLine, REPEATED_OOM_RESTARTS, sameDiagnosis, settleDiagnoses, type Diagnosis } from '../../src/core/diagnosis.js';
import type { ClusterSnapshot, ContainerFacts, WarningEvent } from '../../src/core/types.js';
import { container, failingPod, failingWorkload, MIN, node, snapshot, T0, workload } from './fixtures.js';

const waiting = (reason: string, message = ''): Partial<ContainerFacts> => ({ waiting: { reason, message } });
const event = (reason: string, message: string, overrides: Partial<WarningEvent> = {}): WarningEvent => ({ reason, message, object: 'Pod/frigate-7d9f-abcde', count: 1, lastSeen: T0 - MIN, ...overrides });
const diagnoseOne = (c: Partial<ContainerFacts>) => diagnose('frigate', failingWorkload(failingPod([container(c)])), T0);

describe('diagnose: the reason constants of the API', () => {
  it.each([
    ['ErrImagePull', 'imagePull', 'cannotHelp', 'frigate cannot pull its image'],
    ['ImagePullBackOff', 'imagePull', 'cannotHelp', 'frigate cannot pull its image'],
    ['InvalidImageName', 'imagePull', 'cannotHelp', 'frigate cannot pull its image'],
    ['ErrImageNeverPull', 'imagePull', 'cannotHelp', 'frigate cannot pull its image'],
    ['CreateContainerConfigError', 'containerConfig', 'cannotHelp', 'frigate is missing its configuration'],
    ['CreateContainerError', 'containerCreate', 'cannotHelp', "frigate's container cannot be started"],
    ['RunContainerError', 'containerCreate', 'cannotHelp', "frigate's container cannot be started"],
    ['CrashLoopBackOff', 'crashLoop', 'mayHelp', 'frigate keeps crashing'],
  ])('a container waiting with %s is %s (%s)', (apiReason, reason, restart, summary) => {
    expect(diagnoseOne(waiting(apiReason, 'the message'))).toMatchObject({ reason, apiReason, restart, summary, container: 'frigate', message: 'the message', change: null });
  });

  it('names an init container as such', () => {
    expect(diagnoseOne({ name: 'migrate', init: true, ...waiting('CreateContainerConfigError', 'configmap "x" not found') })?.container).toBe('init:migrate');
  });

  it('reads nothing into a waiting reason it does not know, or a container that is only starting', () => {
    expect(diagnoseOne(waiting('ContainerCreating'))).toBeNull();
    expect(diagnoseOne(waiting('PodInitializing'))).toBeNull();
    expect(diagnoseOne(waiting('SomethingNew', 'text'))).toBeNull();
  });

  it('says nothing about an app that answers 503 while the API reports no reason', () => {
    expect(diagnose('frigate', failingWorkload(failingPod([container()])), T0)).toBeNull();
  });

  it('says nothing about a ready workload, whatever its history', () => {
    const ready = workload('frigate', ['node-a'], { pods: [{ ...failingPod([container({ restartCount: 9, lastTerminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: T0 } })]), ready: true }] });
    expect(diagnose('frigate', ready, T0)).toBeNull();
    expect(diagnose('frigate', undefined, T0)).toBeNull();
    expect(diagnose('frigate', workload('frigate', [], { found: false }), T0)).toBeNull();
  });

  it('calls OOMKilled futile for automatic restarts only once it repeats', () => {
    const oom = (restartCount: number) => diagnoseOne({ restartCount, ...waiting('CrashLoopBackOff', 'back-off 10s'), lastTerminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: T0 - MIN }, memoryLimit: '512Mi' });
    expect(oom(REPEATED_OOM_RESTARTS - 1)).toMatchObject({ reason: 'crashLoop', restart: 'mayHelp' });
    expect(oom(REPEATED_OOM_RESTARTS)).toMatchObject({
      reason: 'oomKilled',
      restart: 'personOnly',
      hint: 'memory limit 512Mi, OOMKilled again and again — raise resources.limits.memory; the kubelet already restarts it with the same limit',
    });
  });

  it('says the exit code of a crash loop and points at the previous container', () => {
    const d = diagnoseOne({ restartCount: 4, ...waiting('CrashLoopBackOff', ''), lastTerminated: { reason: 'Error', exitCode: 1, finishedAt: T0 - MIN } });
    expect(d).toMatchObject({ reason: 'crashLoop', message: 'exit code 1 (Error)', hint: "exit code 1 (Error); its previous container's log says why" });
  });

  it("reads the scheduler's Unschedulable condition and its FailedScheduling events", () => {
    const pending = failingPod([], { node: null, phase: 'Pending', unschedulable: '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}.' });
    expect(diagnose('frigate', failingWorkload(pending), T0)).toMatchObject({ reason: 'unschedulable', apiReason: 'Unschedulable', message: '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}.' });
    const byEvent = failingWorkload(failingPod([], { node: null, phase: 'Pending' }), { events: [event('FailedScheduling', '0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims.')] });
    expect(diagnose('frigate', byEvent, T0)).toMatchObject({ reason: 'unschedulable', apiReason: 'FailedScheduling', restart: 'cannotHelp' });
  });

  it('reads volume trouble from FailedMount and FailedAttachVolume events', () => {
    const mount = failingWorkload(failingPod([container(waiting('ContainerCreating'))]), { events: [event('FailedMount', 'MountVolume.SetUp failed for volume "config" : configmap "frigate-config" not found')] });
    expect(diagnose('frigate', mount, T0)).toMatchObject({ reason: 'volume', apiReason: 'FailedMount', summary: 'frigate cannot mount its volume', container: null });
    const attach = failingWorkload(failingPod([container(waiting('ContainerCreating'))]), { events: [event('FailedAttachVolume', 'Multi-Attach error for volume "pvc-9"')] });
    expect(diagnose('frigate', attach, T0)).toMatchObject({ reason: 'volume', summary: 'frigate cannot attach its volume' });
  });

  it('ignores Warning events that say nothing restart-relevant (BackOff, Unhealthy)', () => {
    const w = failingWorkload(failingPod([container()]), { events: [event('Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503'), event('BackOff', 'Back-off restarting failed container')] });
    expect(diagnose('frigate', w, T0)).toBeNull();
  });

  it("reads a Deployment's ProgressDeadlineExceeded even when its pods look ready", () => {
    const stuck = workload('frigate', ['node-a'], { rolloutInProgress: true, progressDeadlineExceeded: 'ReplicaSet "frigate-7d9f" has timed out progressing.' });
    expect(diagnose('frigate', stuck, T0)).toMatchObject({ reason: 'rolloutStuck', apiReason: 'ProgressDeadlineExceeded', restart: 'cannotHelp' });
  });

  it('picks the most specific reason when several hold: the image, not the stuck rollout it causes', () => {
    const both = failingWorkload(failingPod([container(waiting('ImagePullBackOff', 'Back-off pulling image'))]), {
      progressDeadlineExceeded: 'ReplicaSet "frigate-7d9f" has timed out progressing.',
      events: [event('FailedMount', 'MountVolume.SetUp failed')],
    });
    expect(diagnose('frigate', both, T0)?.reason).toBe('imagePull');
  });

  it('reads every pod that is not ready, and only those', () => {
    const ok = { ...failingPod([container(waiting('CreateContainerConfigError', 'secret "x" not found'))]), ready: true };
    const bad = failingPod([container(waiting('ImagePullBackOff', 'Back-off'))], { name: 'frigate-2' });
    expect(diagnose('frigate', workload('frigate', ['node-a'], { pods: [ok, bad] }), T0)?.reason).toBe('imagePull');
  });
});

describe('diagnose: what changed before it broke', () => {
  const change = { at: T0 - 12 * MIN, images: [{ container: 'frigate', from: 'frigate:0.13', to: 'frigate:0.14' }], memoryLimits: [{ container: 'frigate', from: '1Gi', to: '512Mi' }] };
  const pulled = (at: number) => diagnose('frigate', failingWorkload(failingPod([container(waiting('ImagePullBackOff', 'Back-off'))]), { change: { ...change, at } }), T0);

  it('names a recent revision and what it changed in the hint', () => {
    const d = pulled(T0 - 12 * MIN);
    expect(d?.change).toEqual(change);
    expect(d?.hint).toContain('A new revision came shortly before (image frigate:0.13 → frigate:0.14, limits.memory 1Gi → 512Mi)');
  });

  it('forgets a change older than the window, and one that changed nothing it shows', () => {
    expect(pulled(T0 - CHANGE_WINDOW_MS - 1)?.change).toBeNull();
    expect(pulled(T0 - CHANGE_WINDOW_MS)?.change).not.toBeNull();
    const nothing = diagnose('frigate', failingWorkload(failingPod([container(waiting('ImagePullBackOff'))]), { change: { at: T0, images: [], memoryLimits: [] } }), T0);
    expect(nothing?.change).toBeNull();
    expect(nothing?.hint).not.toContain('revision');
  });
});

describe('diagnosisLine and sameDiagnosis', () => {
  const d = diagnoseOne(waiting('ImagePullBackOff', 'Back-off pulling image "frigate:0.14"')) as Diagnosis;

  it('says the reason, where, and the API message in one line', () => {
    expect(diagnosisLine(d)).toBe('ImagePullBackOff in container frigate: Back-off pulling image "frigate:0.14"');
    expect(diagnosisLine({ ...d, container: null, message: '' })).toBe('ImagePullBackOff: frigate cannot pull its image');
  });

  it('treats a new message for the same reason and container as the same finding', () => {
    expect(sameDiagnosis(d, { ...d, apiReason: 'ErrImagePull', message: 'not found' })).toBe(true);
    expect(sameDiagnosis(d, { ...d, container: 'sidecar' })).toBe(false);
    expect(sameDiagnosis(d, { ...d, reason: 'containerConfig' })).toBe(false);
    expect(sameDiagnosis(null, null)).toBe(true);
    expect(sameDiagnosis(d, null)).toBe(false);
  });
});

describe('diagnoseTargets: why each target is down, as one snapshot says', () => {
  const pulling = failingWorkload(failingPod([container(waiting('ImagePullBackOff', 'Back-off'))]));
  type Reachable = Extract<ClusterSnapshot, { reachable: true }>;
  const on = (nodes: Parameters<typeof snapshot>[0], workloads: Parameters<typeof snapshot>[1], extra: Partial<Reachable> = {}): ClusterSnapshot => ({ ...(snapshot(nodes, workloads) as Reachable), ...extra });

  it('gives each target with a reason of its own its diagnosis, and none to the others', () => {
    const ok = workload('hass', ['node-a']);
    const found = diagnoseTargets(['frigate', 'hass', 'gone'], on([node('node-a')], [pulling, ok]), T0);
    expect(Object.keys(found!)).toEqual(['frigate']);
    expect(found!.frigate).toMatchObject({ reason: 'imagePull', summary: 'frigate cannot pull its image' });
  });

  it('says nothing of a target on a node that cannot run pods: the node is its reason', () => {
    for (const down of [node('node-a', { ready: 'False' }), node('node-a', { ready: 'Unknown' }), node('node-a', { unschedulable: true })]) {
      expect(diagnoseTargets(['frigate'], on([down], [pulling]), T0)).toEqual({});
    }
    expect(diagnoseTargets(['frigate'], on([], [pulling]), T0)).toEqual({});
    // Another node of the workload being fine does not make its reason its own.
    const spread = { ...pulling, relevantNodes: ['node-a', 'node-b'] };
    expect(diagnoseTargets(['frigate'], on([node('node-a'), node('node-b', { ready: 'False' })], [spread]), T0)).toEqual({});
  });

  it('cannot say (undefined, so an incident keeps what it knew) when the API did not answer or a target is unknown', () => {
    expect(diagnoseTargets(['frigate'], { reachable: false, observedAt: T0, error: 'timeout after 10s' }, T0)).toBeUndefined();
    const unknown = on([node('node-a')], [pulling], { unknownTargets: { hass: 'Pod in home: HTTP 403' } });
    expect(diagnoseTargets(['frigate', 'hass'], unknown, T0)).toBeUndefined();
    expect(diagnoseTargets(['frigate'], unknown, T0)).toEqual({ frigate: expect.objectContaining({ reason: 'imagePull' }) });
  });
});

describe('settleDiagnoses: what an incident keeps', () => {
  const pull = diagnose('frigate', failingWorkload(failingPod([container(waiting('ImagePullBackOff', 'Back-off'))])), T0)!;
  const config = diagnose('hass', failingWorkload(failingPod([container({ name: 'hass', ...waiting('CreateContainerConfigError', 'secret "x" not found') })])), T0)!;

  it('keeps the first words of a finding, takes a new or different one, drops one no longer seen, and names the changes sorted', () => {
    const kept = { frigate: pull, mqtt: config };
    const seen = { frigate: { ...pull, message: 'rpc error: not found', apiReason: 'ErrImagePull' }, hass: config };
    const settled = settleDiagnoses(kept, seen);
    expect(settled.diagnoses.frigate).toBe(pull);
    expect(settled.diagnoses).toEqual({ frigate: pull, hass: config });
    expect(settled.changed).toEqual(['hass', 'mqtt']);
  });

  it('changes nothing when nothing changed', () => {
    expect(settleDiagnoses({ frigate: pull }, { frigate: pull })).toEqual({ diagnoses: { frigate: pull }, changed: [] });
    expect(settleDiagnoses({}, {})).toEqual({ diagnoses: {}, changed: [] });
  });
});

describe('diagnose: the words for each reason', () => {
  it.each([
    [{ memoryLimit: null, restartCount: 3, ...waiting('CrashLoopBackOff', 'back-off'), lastTerminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: T0 } }, 'frigate runs out of memory', 'no memory limit of its own, OOMKilled again and again'],
    [{ restartCount: 3, ...waiting('CrashLoopBackOff', ''), lastTerminated: { reason: '', exitCode: 2, finishedAt: T0 } }, 'frigate keeps crashing', 'exit code 2; its previous container'],
    [{ restartCount: 0, ...waiting('CrashLoopBackOff', '') }, 'frigate keeps crashing', 'it keeps exiting; its previous container'],
    [waiting('CreateContainerError', 'mount denied'), "frigate's container cannot be started", 'check its command, mounts and security context'],
  ] as Array<[Partial<ContainerFacts>, string, string]>)('%#: %s', (c, summary, hint) => {
    const d = diagnoseOne(c);
    expect(d?.summary).toBe(summary);
    expect(d?.hint).toContain(hint);
  });

  it('names a stuck rollout and an unschedulable pod in words', () => {
    const stuck = diagnose('frigate', workload('frigate', ['node-a'], { progressDeadlineExceeded: 'ReplicaSet "x" has timed out progressing.' }), T0);
    expect(stuck?.summary).toBe("frigate's rollout is stuck");
    const pending = diagnose('frigate', failingWorkload(failingPod([], { node: null, phase: 'Pending', unschedulable: '0/1 nodes are available' })), T0);
    expect(pending?.summary).toBe('frigate cannot be scheduled');
  });

  it('names a limit that went away as none, and keeps a change of the image alone or of the limit alone', () => {
    const limitOnly = { at: T0, images: [], memoryLimits: [{ container: 'frigate', from: '1Gi', to: null }] };
    const d = diagnose('frigate', failingWorkload(failingPod([container(waiting('ImagePullBackOff'))]), { change: limitOnly }), T0);
    expect(d?.change).toEqual(limitOnly);
    expect(d?.hint).toContain('(limits.memory 1Gi → none)');
    const imageOnly = { at: T0, images: [{ container: 'frigate', from: 'a:1', to: 'a:2' }], memoryLimits: [] };
    expect(diagnose('frigate', failingWorkload(failingPod([container(waiting('ImagePullBackOff'))]), { change: imageOnly }), T0)?.change).toEqual(imageOnly);
  });

  it('reads the pods that are not ready even when a ready one has no problem, and picks by order not by position', () => {
    const crash = failingPod([container({ restartCount: 1, ...waiting('CrashLoopBackOff', 'x'), lastTerminated: { reason: 'Error', exitCode: 1, finishedAt: T0 } })], { name: 'a' });
    const pull = failingPod([container(waiting('ImagePullBackOff', 'y'))], { name: 'b' });
    expect(diagnose('frigate', workload('frigate', ['node-a'], { pods: [crash, pull] }), T0)?.reason).toBe('imagePull');
    expect(diagnose('frigate', workload('frigate', ['node-a'], { pods: [pull, crash] }), T0)?.reason).toBe('imagePull');
  });
});

describe('diagnose: what it quotes from the cluster', () => {
  it('takes secrets out of the API message before it goes anywhere', () => {
    const d = diagnoseOne(waiting('ErrImagePull', 'failed to pull "registry.example/frigate:0.14": https://bot:hunter2hunter2@registry.example/v2/ unauthorized'));
    expect(d?.message).toBe('failed to pull "registry.example/frigate:0.14": https://[redacted]@registry.example/v2/ unauthorized');
    const mounted = diagnose('frigate', failingWorkload(failingPod([container(waiting('ContainerCreating'))]), { events: [event('FailedMount', 'mount failed: password=s3cr3t-s3cr3t')] }), T0);
    expect(mounted?.message).toBe('mount failed: password=[redacted]');
  });
});
