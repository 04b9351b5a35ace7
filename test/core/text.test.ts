import { describe, expect, it } from 'vitest';
import { isRetryableStatus } from '../../src/core/delivery.js';
import { nodeBlock, nodeOutage } from '../../src/core/nodes.js';
import { CLUSTER_SUBJECT, nodeOfSubject, nodeSubject, OBSERVER_SUBJECT, parseSubject, setupSubject, targetOfSubject, targetSubject } from '../../src/core/subject.js';
import { clip, discordMessageUrl, discordTime, oneLine } from '../../src/core/text.js';
import { node, T0 } from './fixtures.js';

describe('clip', () => {
  it('keeps text within the limit as it is and ends cut text in one ellipsis within the limit', () => {
    expect(clip('frigate', 7)).toBe('frigate');
    expect(clip('frigate', 6)).toBe('friga…');
    expect(clip('x'.repeat(2001), 2000)).toHaveLength(2000);
  });
  it('never splits a surrogate pair', () => {
    // '🔥' is two UTF-16 units; cutting after the first would leave a lone high surrogate.
    expect(clip('ab🔥cd', 4)).toBe('ab…');
    expect(clip('ab🔥cd', 5)).toBe('ab🔥…');
  });
  it('a limit of zero or less leaves nothing', () => {
    expect(clip('abc', 0)).toBe('');
    expect(clip('abc', -1)).toBe('');
  });
  it.each([
    ['a\ud800\udc00b', 'a…'],
    ['a\udbff\udfffb', 'a…'],
    ['a\ud7ffxb', 'a\ud7ff…'],
    ['a\udc00xb', 'a\udc00…'],
  ])('never ends on the first half of a surrogate pair (%j)', (text, clipped) => {
    expect(clip(text, 3)).toBe(clipped);
  });
});

describe('text helpers', () => {
  it('writes Discord timestamps in whole seconds with their style', () => {
    expect(discordTime(T0 + 999)).toBe(`<t:${T0 / 1000}:R>`);
    expect(discordTime(T0, 'f')).toBe(`<t:${T0 / 1000}:f>`);
  });
  it('folds white space into one line and links to a message', () => {
    expect(oneLine(' a\n\tb  c ')).toBe('a b c');
    expect(discordMessageUrl({ guildId: 'g', channelId: 'c' }, 'm')).toBe('https://discord.com/channels/g/c/m');
  });
});

describe('subjects', () => {
  it('builds and reads target, node and cluster subjects', () => {
    expect(targetSubject('frigate')).toBe('target:frigate');
    expect(nodeSubject('k3s-2')).toBe('node:k3s-2');
    expect(parseSubject('target:frigate')).toEqual({ kind: 'target', name: 'frigate' });
    expect(parseSubject('node:k3s-2')).toEqual({ kind: 'node', name: 'k3s-2' });
    expect(parseSubject(CLUSTER_SUBJECT)).toEqual({ kind: 'cluster' });
    expect(nodeOfSubject('node:k3s-2')).toBe('k3s-2');
    expect(nodeOfSubject('target:frigate')).toBeNull();
    expect(targetOfSubject('target:frigate')).toBe('frigate');
  });
  it('builds and reads setup and observer subjects', () => {
    expect(setupSubject('forbidden/media/pods')).toBe('setup:forbidden/media/pods');
    expect(parseSubject('setup:forbidden/media/pods')).toEqual({ kind: 'setup', name: 'forbidden/media/pods' });
    expect(parseSubject(OBSERVER_SUBJECT)).toEqual({ kind: 'observer' });
    expect(parseSubject('setup:')).toBeNull();
    expect(targetOfSubject('setup:missing/ghost')).toBeNull();
    expect(nodeOfSubject(OBSERVER_SUBJECT)).toBeNull();
  });
  it('refuses what is none of the three forms', () => {
    for (const bad of ['frigate', 'target:', ':x', 'pod:x', '']) expect(parseSubject(bad)).toBeNull();
  });
  it.each(['frigate', '', 'target:', 'pod:x'])('what is not a subject names no node and no target: %j', (subject) => {
    expect(nodeOfSubject(subject)).toBeNull();
    expect(targetOfSubject(subject)).toBeNull();
  });
  it('a node subject names no target, a target subject no node', () => {
    expect(targetOfSubject('node:k3s-2')).toBeNull();
    expect(nodeOfSubject('target:frigate')).toBeNull();
    expect(targetOfSubject('target:frigate')).toBe('frigate');
  });
});

describe('node blocks', () => {
  it('names each refusing state with its reason and sentence, in one place', () => {
    expect(nodeBlock('a', undefined)).toEqual({ node: 'a', reason: 'nodeMissing', message: 'node a is not in the cluster' });
    expect(nodeBlock('a', node('a', { ready: 'False' }))?.reason).toBe('nodeNotReady');
    expect(nodeBlock('a', node('a', { ready: 'Unknown' }))?.reason).toBe('nodeUnknown');
    expect(nodeBlock('a', node('a', { unschedulable: true }))?.reason).toBe('nodeCordoned');
    expect(nodeBlock('a', node('a'))).toBeNull();
  });
  it('counts a cordoned node as maintenance, not an outage', () => {
    expect(nodeOutage('a', node('a', { unschedulable: true }))).toBeNull();
    expect(nodeOutage('a', node('a', { ready: 'False', unschedulable: true }))?.reason).toBe('nodeNotReady');
  });
});

describe('isRetryableStatus', () => {
  it('retries 429 and 5xx only', () => {
    expect([200, 400, 401, 403, 404, 413, 429, 500, 502, 503].filter(isRetryableStatus)).toEqual([429, 500, 502, 503]);
  });
});
