import { describe, expect, it } from 'vitest';
import { elapsedSince } from '../../src/core/clock.js';
import { evaluateGate, type GateInput } from '../../src/core/gate.js';
import { activeSilenceFor, silenceStatus } from '../../src/core/silence.js';
import type { Observation } from '../../src/core/types.js';
import { gateInput as input, HOUR, MIN, node, restart, SEC, silence, snapshot, T0, target, workload } from './fixtures.js';
import { Loop } from './loop.js';

const refusal = (i: GateInput) => {
  const d = evaluateGate(i);
  return d.allowed ? null : { reason: d.reason, message: d.message, retryInMs: d.context.retryInMs };
};

describe('elapsedSince', () => {
  it('is the time since a past event, and 0 for one dated after now (the clock stepped back)', () => {
    expect(elapsedSince(T0 - 1, T0)).toBe(1);
    expect(elapsedSince(T0, T0)).toBe(0);
    expect(elapsedSince(T0 + 1, T0)).toBe(0);
    expect(elapsedSince(T0 + 3 * HOUR, T0)).toBe(0);
  });
});

describe('the gate after the wall clock stepped back three hours', () => {
  it('a cooldown answer never says more than the cooldown (2m), on both sides of now', () => {
    const at = (requestedAt: number) => refusal(input({ restarts: [restart({ requestedAt, automatic: false, incidentId: null })] }));
    expect(at(T0 + 3 * HOUR)).toEqual({ reason: 'cooldown', message: 'frigate was restarted 1s ago; the next restart is possible in 2m', retryInMs: 2 * MIN });
    expect(at(T0 + 1)?.retryInMs).toBe(2 * MIN);
    expect(at(T0)?.retryInMs).toBe(2 * MIN);
    expect(at(T0 - 1)?.retryInMs).toBe(2 * MIN - 1);
    expect(at(T0 - 2 * MIN)).toBeNull();
  });

  it('a backoff answer never says more than the backoff step (5m)', () => {
    const noCooldown = [target('frigate', { restart: { ...target('frigate').restart, cooldown: 0 } })];
    const at = (requestedAt: number) => refusal(input({ targets: noCooldown, restarts: [restart({ id: 1, requestedAt: T0 - 50 * MIN }), restart({ id: 2, requestedAt })] }));
    expect(at(T0 + 3 * HOUR)).toEqual({ reason: 'backoff', message: 'the next automatic restart of frigate is due in 5m', retryInMs: 5 * MIN });
    expect(at(T0 + 1)?.retryInMs).toBe(5 * MIN);
    expect(at(T0 - 1)?.retryInMs).toBe(5 * MIN - 1);
    expect(at(T0 - 5 * MIN)).toBeNull();
  });

  it('a node Ready "after" now waits the recovery grace (60s), not the step', () => {
    const at = (readySince: number) => refusal(input({ snapshot: snapshot([node('node-a', { readySince })], [workload('frigate', ['node-a'])]) }));
    expect(at(T0 + 3 * HOUR)).toEqual({
      reason: 'nodeRecovering',
      message: 'node node-a has been Ready for only 1s; waiting 1m more for its pods to come back by themselves',
      retryInMs: 60 * SEC,
    });
    expect(at(T0 + 1)?.retryInMs).toBe(60 * SEC);
    expect(at(T0 - 1)?.retryInMs).toBe(60 * SEC - 1);
    expect(at(T0 - 60 * SEC)).toBeNull();
  });

  it('restarts dated after now still count toward the hourly limit (a step back never frees the limit)', () => {
    const restarts = [3 * HOUR, 3 * HOUR + MIN, 3 * HOUR + 2 * MIN].map((ahead, i) => restart({ id: i, requestedAt: T0 + ahead, automatic: false, incidentId: null }));
    const noCooldown = [target('frigate', { restart: { ...target('frigate').restart, cooldown: 0 } })];
    expect(refusal(input({ targets: noCooldown, restarts }))?.reason).toBe('rateLimited');
  });
});

describe('a silence after the wall clock stepped back', () => {
  it('stays in force when its start lies after now (it was made before the step), until its end', () => {
    const made = silence({ startsAt: T0 + 3 * HOUR, endsAt: T0 + 4 * HOUR });
    expect(silenceStatus(made, T0)).toBe('active');
    expect(silenceStatus(made, T0 + 4 * HOUR - 1)).toBe('active');
    expect(silenceStatus(made, T0 + 4 * HOUR)).toBe('expired');
    expect(activeSilenceFor({ target: 'frigate', incident: null }, [made], T0)).toBe(made);
  });

  it('stays lifted when its lift lies after now', () => {
    expect(silenceStatus(silence({ liftedAt: T0 + 1 }), T0)).toBe('expired');
    expect(silenceStatus(silence({ liftedAt: T0 - 1 }), T0)).toBe('expired');
    expect(activeSilenceFor({ target: 'frigate', incident: null }, [silence({ liftedAt: T0 + 3 * HOUR })], T0)).toBeNull();
  });
});

describe('the wall clock steps forward by hours: nothing fires beyond what the rules allow', () => {
  const fail = (t: string): Observation => ({ target: t, result: 'fail', detail: 'HTTP 503' });
  const snap = snapshot([node('node-a')], [workload('frigate', ['node-a'])]);
  const config = { targets: [target('frigate', { restart: { ...target('frigate').restart, maxPerHour: 10, circuitBreakAfter: 10 } })], watchNodes: true, reopenWindow: 10 * MIN, notify: { escalateAfter: 15 * MIN } };

  it('a silence that ended during the jump rings once; escalation follows 15m later, once; one restart per cycle at most', () => {
    const maintenance = silence({ scope: { kind: 'everything' }, startsAt: T0, endsAt: T0 + HOUR });
    const loop = new Loop({ config, silences: [maintenance] });
    for (let i = 1; i <= 4; i++) loop.cycle(T0 + i * 30 * SEC, snap, [fail('frigate')]);
    // Down and muted: no ring, no restart.
    expect(loop.effects('postMessage')).toEqual([{ type: 'postMessage', mention: false }]);
    expect(loop.restartsAsked()).toHaveLength(0);

    const jump = T0 + 2 * MIN + 5 * HOUR;
    const first = loop.cycle(jump, snap, [fail('frigate')]);
    const rings = (p: typeof first) => p.incidents.flatMap((i) => i.effects.filter((e) => e.type === 'ring'));
    expect(rings(first)).toEqual([expect.objectContaining({ reason: 'unmuted' })]);
    expect(first.incidents.flatMap((i) => i.restarts)).toHaveLength(1);

    // Every 30s for 20 minutes after the jump: restarts keep the cooldown and backoff, one ring more.
    for (let i = 1; i <= 40; i++) loop.cycle(jump + i * 30 * SEC, snap, [fail('frigate')]);
    expect(loop.effects('ring').map((e) => (e as { reason: string }).reason)).toEqual(['unmuted', 'escalation']);
    expect(loop.incidents[0]!.escalatedAt).toBe(jump + 15 * MIN);
    // Cooldown 2m hides the 1m backoff; then 5m; then 15m: three restarts in the 20 minutes after the jump.
    expect(loop.restarts.map((r) => (r.requestedAt - jump) / SEC)).toEqual([0, 120, 420]);
  });
});
