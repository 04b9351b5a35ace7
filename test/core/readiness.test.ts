import { describe, expect, it } from 'vitest';
import { readinessObservation } from '../../src/core/readiness.js';
import type { PodFacts } from '../../src/core/types.js';
import { target, workload } from './fixtures.js';

const pod = (name: string, ready: boolean): PodFacts => ({ name, node: 'node-a', phase: 'Running', ready });
const frigate = target('frigate');
const cams = target('cams', { workload: { kind: 'Pods', selector: 'app=cam' } });

describe('readinessObservation: the default probe, as the snapshot saw the workload', () => {
  it.each([
    ['no data at all: unknown, never up nor down', frigate, undefined, 'unknown', 'no data for this target'],
    ['every wanted pod ready', frigate, workload('frigate', ['node-a'], { readyReplicas: 1, desiredReplicas: 1 }), 'ok', '1/1 pods ready'],
    ['more ready than wanted (a rollout surging)', frigate, workload('frigate', ['node-a'], { readyReplicas: 3, desiredReplicas: 2 }), 'ok', '3/2 pods ready'],
    ['one short of wanted', frigate, workload('frigate', ['node-a'], { readyReplicas: 1, desiredReplicas: 2 }), 'fail', '1/2 pods ready'],
    ['scaled to zero is not healthy', frigate, workload('frigate', [], { readyReplicas: 0, desiredReplicas: 0 }), 'fail', 'Deployment nvr/frigate has 0 desired pods'],
    ['the workload does not exist', frigate, workload('frigate', [], { found: false }), 'fail', 'Deployment nvr/frigate not found'],
    ['Pods: every matching pod ready', cams, workload('cams', [], { pods: [pod('a', true), pod('b', true)] }), 'ok', '2/2 pods ready'],
    ['Pods: one of two not ready', cams, workload('cams', [], { pods: [pod('a', true), pod('b', false)] }), 'fail', '1/2 pods ready'],
    ['Pods: nothing matches the selector', cams, workload('cams', [], { pods: [] }), 'fail', 'no pods match app=cam'],
  ] as const)('%s', (_name, t, facts, result, detail) => {
    expect(readinessObservation(t, facts)).toEqual({ target: t.name, result, detail });
  });

  it('judges a Pods target by its pods, not by replica counts it does not have', () => {
    const facts = workload('cams', [], { pods: [pod('a', true)], readyReplicas: 0, desiredReplicas: 5 });
    expect(readinessObservation(cams, facts).result).toBe('ok');
  });
});
