/**
 * Knows why (issue 22, SPEC §11), end to end: the real bot, client-node against the Kubernetes simulator
 * modelling the kubelet's and the scheduler's reasons, discord.js against the Discord simulator. For
 * each reason a restart cannot help: what the card says, no PATCH or DELETE reaches the API however long
 * it lasts, and a person's /restart is refused with the reason. A plain crash and an app answering 503
 * restart as before.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SimFailure } from '../../src/sim/kube/diagnostics.js';
import { answer, closeWorldChecked, OPERATOR, roleRings, startWorld, topLevel, type World } from '../helpers/world.js';

let world: World | undefined;
afterEach(async () => {
  const w = world;
  world = undefined;
  await closeWorldChecked(w);
});

const FRIGATE = { kind: 'Deployment', name: 'frigate' } as const;

interface Embed {
  title: string;
  fields: Array<{ name: string; value: string }>;
}

function card(w: World): Embed {
  return topLevel(w)[0]!.embeds[0] as Embed;
}

function why(w: World): string | undefined {
  return card(w).fields.find((f) => f.name === 'Why')?.value;
}

/** Requests that would restart something: a PATCH of a workload or a DELETE of a pod. */
function restartRequests(w: World): number {
  return w.kube.countRequests({ method: 'PATCH', pathPrefix: '/apis/apps/' }) + w.kube.countRequests({ method: 'DELETE', pathPrefix: '/api/v1/namespaces/' });
}

/** Frigate fails this way (its pods, and every pod made for it later) and answers 503; two cycles open the incident. */
async function failFrigate(failure: SimFailure): Promise<World> {
  world = await startWorld({ notify: { escalateAfter: '3h' } });
  world.kube.failPods('nvr', FRIGATE, failure);
  world.probe.setStatus(503);
  await world.cycles(2);
  return world;
}

const futile: Array<{ reason: string; failure: SimFailure; title: string; says: string[] }> = [
  {
    reason: 'imagePull',
    failure: { kind: 'imagePull', reason: 'ImagePullBackOff', message: 'Back-off pulling image "ghcr.io/blakeblackshear/frigate:0.99"' },
    title: 'frigate cannot pull its image',
    says: ['**ImagePullBackOff** in container', 'Back-off pulling image', 'check the tag'],
  },
  {
    reason: 'containerConfig',
    failure: { kind: 'createConfig', message: 'secret "frigate-mqtt" not found' },
    title: 'frigate is missing its configuration',
    says: ['**CreateContainerConfigError**', 'secret "frigate-mqtt" not found', 'create it'],
  },
  {
    reason: 'unschedulable',
    failure: { kind: 'unschedulable', message: '0/2 nodes are available: 2 Insufficient memory. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.' },
    title: 'frigate cannot be scheduled',
    says: ['**Unschedulable**', '2 Insufficient memory', 'free capacity'],
  },
  {
    reason: 'volume',
    failure: { kind: 'mount', attach: true },
    title: 'frigate cannot attach its volume',
    says: ['**FailedAttachVolume**', 'Multi-Attach error', 'the node that still holds it'],
  },
];

describe('a restart that cannot help is refused, and the card says why', () => {
  it.each(futile)('$reason: the card, no restart request in 10 minutes, /restart refused with the reason', async ({ reason, failure, title, says }) => {
    const w = await failFrigate(failure);
    expect(card(w).title).toBe(title);
    for (const s of says) expect(why(w)).toContain(s);
    expect(roleRings(w)).toBe(1);

    await w.cycles(20);
    expect(restartRequests(w)).toBe(0);
    expect(w.app.store.auditFor({ action: 'restartSkipped' }).map((a) => a.reason)).toContain(reason);

    const restart = await w.discord.slashCommand({ name: 'restart', options: { target: 'frigate' }, user: OPERATOR });
    expect(answer(restart)).toMatch(/^Not restarting frigate: a restart cannot help: frigate — /);
    // /status gives the same answer, and does not say the reason twice.
    const status = answer(await w.discord.slashCommand({ name: 'status', options: { target: 'frigate' }, user: OPERATOR }));
    expect(status).toContain('restart now: no — a restart cannot help: frigate — ');
    expect(status).not.toContain(' · why: ');
    expect(restartRequests(w)).toBe(0);
    expect(w.app.store.auditFor({ action: 'restartRefused' }).map((a) => a.reason)).toEqual([reason]);
    // One message, edited only when what it shows changed: no edit per kubelet retry.
    expect(topLevel(w)).toHaveLength(1);
  });

  it('rolloutStuck: a new revision that never becomes available passes its deadline; the card names the change', async () => {
    world = await startWorld({ notify: { escalateAfter: '3h' } });
    const w = world;
    await w.cycles(1);
    w.kube.failPods('nvr', FRIGATE, { kind: 'crashLoop', exitCode: 1 });
    w.kube.setImage('nvr', 'Deployment', 'frigate', 'ghcr.io/blakeblackshear/frigate:0.15-beta', { memoryLimit: '512Mi' });
    w.probe.setStatus(503);
    await w.cycles(24); // 12 minutes: past the default progressDeadlineSeconds (600)
    const d = w.app.store.openIncidents()[0]?.diagnoses?.frigate;
    expect(d?.reason).toBe('rolloutStuck');
    expect(why(w)).toContain('**ProgressDeadlineExceeded**');
    expect(why(w)).toContain('roll back');
    const restart = await w.discord.slashCommand({ name: 'restart', options: { target: 'frigate' }, user: OPERATOR });
    expect(answer(restart)).toMatch(/Not restarting frigate: a restart cannot help/);
  });

  it('oomKilled again and again: automatic restarts hold, a person may restart with the warning', async () => {
    const w = await failFrigate({ kind: 'crashLoop', exitCode: 137, reason: 'OOMKilled' });
    await w.cycles(6);
    expect(card(w).title).toBe('frigate runs out of memory');
    expect(why(w)).toContain('raise resources.limits.memory');
    expect(restartRequests(w)).toBe(0);
    const restart = await w.discord.slashCommand({ name: 'restart', options: { target: 'frigate' }, user: OPERATOR });
    expect(answer(restart)).toMatch(/^Restarting frigate \(rollout restart requested\)\.\n⚠️ an automatic restart cannot help: frigate — OOMKilled/);
    expect(w.kube.countRequests({ method: 'PATCH', pathPrefix: '/apis/apps/' })).toBe(1);
  });
});

describe("the seed's story is unchanged", () => {
  it('a plain crash (exit code 1) is restarted automatically, and says it keeps crashing', async () => {
    const w = await failFrigate({ kind: 'crashLoop', exitCode: 1 });
    await w.cycles(4);
    expect(card(w).title).toBe('frigate keeps crashing');
    expect(w.kube.restarts.length).toBeGreaterThanOrEqual(1);
    // /status says why per target, also when the gate lets a restart through (SPEC §11).
    const status = await w.discord.slashCommand({ name: 'status', options: { target: 'frigate' }, user: OPERATOR });
    expect(answer(status)).toMatch(/ · why: CrashLoopBackOff in container \w+: /);
  });

  it('an app answering 503 with no reason from the API is restarted as before, with no Why', async () => {
    world = await startWorld({ notify: { escalateAfter: '3h' } });
    const w = world;
    w.probe.setStatus(503);
    await w.cycles(4);
    expect(why(w)).toBeUndefined();
    expect(card(w).title).toBe('frigate is down (HTTP 503)');
    expect(w.kube.restarts.length).toBeGreaterThanOrEqual(1);
  });
});
