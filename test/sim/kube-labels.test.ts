import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKubeSimulator, type KubeSimulator } from '../../src/sim/kube/index.js';
import { parseSimSelector, simSelectorMatches } from '../../src/sim/kube/labels.js';

/** The simulator reads `?labelSelector=` with its own parser, and refuses with 400 what the API server refuses. */
describe('kube simulator: label selectors as the API server reads them', () => {
  let sim: KubeSimulator;
  let url: string;
  beforeEach(async () => {
    sim = createKubeSimulator({ now: () => Date.parse('2025-01-01T00:00:00Z') });
    url = (await sim.start()).url;
    sim.addNode('a');
    sim.addPod({ namespace: 'x', name: 'p1', labels: { app: 'web', tier: 'front', shard: '3' } });
    sim.addPod({ namespace: 'x', name: 'p2', labels: { app: 'web', tier: 'back', shard: '12' } });
    sim.addPod({ namespace: 'x', name: 'p3', labels: { app: 'db' } });
  });
  afterEach(async () => {
    await sim.stop();
  });

  async function list(selector: string): Promise<{ status: number; body: any }> {
    const res = await fetch(`${url}/api/v1/namespaces/x/pods?labelSelector=${encodeURIComponent(selector)}`);
    return { status: res.status, body: await res.json() };
  }
  const names = async (selector: string) => (await list(selector)).body.items.map((p: any) => p.metadata.name);

  it('selects with in, notin, exists, !exists, gt and lt', async () => {
    expect(await names('tier in (front, back)')).toEqual(['p1', 'p2']);
    expect(await names('tier notin (front)')).toEqual(['p2', 'p3']);
    expect(await names('tier')).toEqual(['p1', 'p2']);
    expect(await names('!tier')).toEqual(['p3']);
    expect(await names('shard>5')).toEqual(['p2']);
    expect(await names('shard<5')).toEqual(['p1']);
    expect(await names('app=web,tier')).toEqual(['p1', 'p2']);
    expect(await names('')).toEqual(['p1', 'p2', 'p3']);
  });

  it.each([
    ['tier in ()', "values set can't be empty"],
    ['app=web=x', "expected: ',' or 'end of string'"],
    ['app=-web', 'invalid label value'],
    ['in=web', 'expected: identifier'],
    ['shard>five', 'must be an integer'],
    ['app=web,', 'expected: identifier'],
    ['tier in (front', "expected: ',' or ')'"],
    ['bad key!', 'expected: in, notin, =, ==, !=, gt, lt'],
    [`app=${'a'.repeat(64)}`, 'invalid label value'],
  ])('refuses %j with 400 BadRequest that says why', async (selector, why) => {
    const { status, body } = await list(selector);
    expect(status).toBe(400);
    expect(body).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    expect(body.message).toContain('unable to parse requirement: ');
    expect(body.message).toContain(why);
  });

  it('matches an empty value only where the label is present and empty', () => {
    const requirements = parseSimSelector('app=');
    expect(requirements).toEqual([{ key: 'app', op: 'equals', value: '' }]);
    expect(simSelectorMatches({ app: '' }, requirements)).toBe(true);
    expect(simSelectorMatches({}, requirements)).toBe(false);
  });

  it('takes a prefixed key as the API does, and refuses a malformed prefix', () => {
    expect(parseSimSelector('app.kubernetes.io/name=frigate')).toEqual([{ key: 'app.kubernetes.io/name', op: 'equals', value: 'frigate' }]);
    expect(() => parseSimSelector('App_/name=x')).toThrow('invalid label key');
    expect(() => parseSimSelector('a/b/c=x')).toThrow('invalid label key');
  });
});
