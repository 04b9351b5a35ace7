/**
 * stormguard's own setup problems end to end (issue 10 items 5 and 7), through the real app (real
 * discord.js, client-node and SQLite) against both simulators: a namespace or the nodes that RBAC
 * refuses (the simulator answers 403 as the API server does), and a target whose workload does not
 * exist. Each asserts what a person sees: the messages and rings in Discord, and the restarts the
 * Kubernetes simulator received.
 */
import { escapeMarkdown } from '../../src/core/text.js';
import { afterEach, describe, expect, it } from 'vitest';
import type { SimRbacRule } from '../../src/sim/kube/index.js';
import { unescapeMarkdown } from '../../src/core/text.js';
import { answer, closeWorldChecked, messageOf, OPERATOR, roleRings, startWorld, topLevel, type World } from '../helpers/world.js';

let world: World | undefined;
afterEach(async () => {
  const w = world;
  world = undefined;
  await closeWorldChecked(w);
});

/** frigate (nvr), hass (home), jellyfin (media): all Deployments checked by their pods' readiness. */
const TARGETS = [
  { name: 'frigate', namespace: 'nvr', workload: { kind: 'Deployment', name: 'frigate' } },
  { name: 'hass', namespace: 'home', workload: { kind: 'Deployment', name: 'hass' } },
  { name: 'jellyfin', namespace: 'media', workload: { kind: 'Deployment', name: 'jellyfin' } },
];

/** What deploy/ grants for the watched namespaces `namespaces` (rbac-nodes and one rbac-watch-<ns> each), in the simulator's terms. */
function granted(namespaces: string[], nodes = true): SimRbacRule[] {
  return [
    ...(nodes ? [{ verbs: ['get', 'list', 'watch'], resources: ['nodes'] }] : []),
    { verbs: ['get', 'list', 'watch'], resources: ['pods'], namespaces },
    { verbs: ['get', 'list', 'watch', 'patch'], apiGroups: ['apps'], resources: ['deployments'], namespaces },
  ];
}

/** An incident message's embed as a person reads it (markdown escapes undone). */
function shown(w: World, subject: string): { title: string; description: string; content: string; targets: string } {
  const message = messageOf(w, subject);
  const embed = message?.embeds[0] as { title: string; description: string; fields: Array<{ name: string; value: string }> } | undefined;
  return {
    title: unescapeMarkdown(embed?.title ?? ''),
    description: unescapeMarkdown(embed?.description ?? ''),
    content: unescapeMarkdown(message?.content ?? ''),
    targets: embed?.fields.find((f) => f.name === 'Targets')?.value ?? '',
  };
}

const subjects = (w: World) => w.app.store.recentIncidents(0).map((i) => [i.subject, i.state]);

describe('partial Kubernetes failures stay partial (issue 10 item 5)', () => {
  it('a namespace RBAC refuses is one setup incident that says what to grant; only its targets go unchecked, the others are judged', async () => {
    world = await startWorld({ targets: TARGETS }, {}, {
      beforeStart(_discord, kube) {
        kube.addDeployment({ namespace: 'media', name: 'jellyfin', node: 'node-b' });
        // Someone forgot the Role for media.
        kube.setRbac(granted(['nvr', 'home']));
      },
    });
    const w = world;
    await w.cycles(3);

    const cause = 'stormguard may not list/watch deployments and pods in namespace media — grant it with a Role and RoleBinding in media (copy deploy/rbac-watch-nvr.yaml and change the namespace)';
    expect(subjects(w)).toEqual([['setup:forbidden/namespace/media', 'open']]);
    expect(shown(w, 'setup:forbidden/namespace/media')).toMatchObject({ title: cause, description: cause, targets: '⚪ jellyfin' });
    expect(topLevel(w)).toHaveLength(1);
    expect(roleRings(w)).toBe(1);

    // Meanwhile jellyfin's pods fail (nobody can tell) and hass's fail (in a namespace stormguard may read).
    w.kube.setPodsReady('media', { kind: 'Deployment', name: 'jellyfin' }, false);
    w.kube.setPodsReady('home', { kind: 'Deployment', name: 'hass' }, false, { healAfterRestart: true });
    await w.cycles(8);
    // hass is down, restarted and back; jellyfin is not judged at all.
    expect(subjects(w)).toEqual([
      ['setup:forbidden/namespace/media', 'open'],
      ['target:hass', 'resolved'],
    ]);
    // Never "Kubernetes API unreachable": the API answers; the setup incident rang once, hass's once.
    expect(topLevel(w).map((m) => m.content).join('\n')).not.toContain('unreachable');
    expect(roleRings(w)).toBe(2);
    // /status says what it cannot see instead of jellyfin's last health; the setup message offers no Restart.
    const status = unescapeMarkdown(answer(await w.discord.slashCommand({ name: 'status', options: { target: 'jellyfin' }, user: OPERATOR })));
    expect(status).toMatch(/^\*\*jellyfin\*\* ⚪ unknown \((Pod|Deployment) in media: HTTP 403: .* is forbidden: /);
    expect((messageOf(w, 'setup:forbidden/namespace/media')!.components as Array<{ components: Array<{ label: string; disabled?: boolean }> }>)[0]!.components.find((b) => b.label === 'Restart')?.disabled).toBe(true);
    expect(w.kube.restarts.map((r) => r.namespace)).toEqual(['home']);
    expect(w.kube.countRequests({ pathPrefix: '/apis/apps/v1/namespaces/media/deployments/' })).toBe(0);

    // The Role is added: the next cycle's resync finds the cache in sync, the incident resolves, jellyfin is judged.
    w.kube.setRbac(granted(['nvr', 'home', 'media']));
    await w.cycles(3);
    expect(Object.fromEntries(subjects(w))).toEqual({ 'setup:forbidden/namespace/media': 'resolved', 'target:hass': 'resolved', 'target:jellyfin': 'open' });
    expect(shown(w, 'setup:forbidden/namespace/media').title).toMatch(/^Resolved after \d+m\d*s?: stormguard reads namespace media again$/);
    expect(roleRings(w)).toBe(3);
  });

  it('a list the API does not serve (404) is one setup incident saying so, resolving when it is served again', async () => {
    // One deployments cache per namespace, so media's alone can be not served.
    world = await startWorld({ targets: TARGETS, kubernetes: { watchScope: 'namespaces' } }, {}, {
      beforeStart(_discord, kube) {
        kube.addDeployment({ namespace: 'media', name: 'jellyfin', node: 'node-b' });
        // As a proxy in front of the API that hides a path would answer.
        kube.failPath('/apis/apps/v1/namespaces/media/deployments', 404);
      },
    });
    const w = world;
    await w.cycles(3);
    const cause = "the Kubernetes API does not serve deployments in namespace media (HTTP 404), so its targets are not checked — check kubernetes.kubeconfig's server URL (a proxy in front of the API?)";
    expect(subjects(w)).toEqual([['setup:notfound/namespace/media', 'open']]);
    expect(shown(w, 'setup:notfound/namespace/media')).toMatchObject({ title: cause, targets: '⚪ jellyfin' });
    expect(roleRings(w)).toBe(1);

    w.kube.failPath('/apis/apps/v1/namespaces/media/deployments', null);
    await w.cycles(1);
    expect(subjects(w)).toEqual([['setup:notfound/namespace/media', 'resolved']]);
    expect(roleRings(w)).toBe(1);
  });

  it('the nodes RBAC refuses are one setup incident, not "Kubernetes API unreachable", and nothing is restarted', async () => {
    world = await startWorld({ targets: TARGETS.slice(0, 2) }, {}, {
      beforeStart(_discord, kube) {
        kube.setRbac(granted(['nvr', 'home'], false));
      },
    });
    const w = world;
    w.kube.setPodsReady('home', { kind: 'Deployment', name: 'hass' }, false);
    await w.cycles(6);

    const cause = 'stormguard may not list/watch nodes, so no target is checked — apply deploy/rbac-nodes.yaml (a ClusterRole and ClusterRoleBinding for the ServiceAccount)';
    expect(subjects(w)).toEqual([['setup:forbidden/nodes', 'open']]);
    expect(shown(w, 'setup:forbidden/nodes')).toMatchObject({ title: cause, targets: '⚪ frigate\n⚪ hass' });
    expect(roleRings(w)).toBe(1);
    expect(w.kube.restarts).toEqual([]);

    // A person asks anyway: the gate refuses, as it does for the scheduler.
    const refused = await w.discord.slashCommand({ name: 'restart', options: { target: 'hass' }, user: OPERATOR });
    expect(answer(refused)).toMatch(/^Not restarting hass: the Kubernetes API did not tell us about hass \(nodes: HTTP 403: nodes is forbidden/);
    expect(w.kube.restarts).toEqual([]);

    w.kube.setRbac(granted(['nvr', 'home']));
    await w.cycles(3);
    expect(Object.fromEntries(subjects(w))).toEqual({ 'setup:forbidden/nodes': 'resolved', 'target:hass': 'open' });
    expect(shown(w, 'setup:forbidden/nodes').title).toMatch(/: stormguard reads the nodes again$/);
  });
});

describe('a missing workload is a configuration problem (issue 10 item 7)', () => {
  it('is one setup incident naming the workload and its place in the configuration, never a restart, and resolves when the workload appears', async () => {
    const ghost = { name: 'ghost', namespace: 'nvr', workload: { kind: 'Deployment', name: 'ghost' } };
    // Escalation (one more ring after escalateAfter) is every incident's; this test counts the opening ring.
    world = await startWorld({ targets: [...TARGETS.slice(0, 2), ghost], notify: { escalateAfter: '3h' } });
    const w = world;
    // failureThreshold 2: one cycle is not yet a problem (a workload re-created by a Helm upgrade).
    await w.cycles(1);
    expect(subjects(w)).toEqual([]);
    await w.cycles(1);

    const cause = 'Deployment nvr/ghost not found — check targets[2].workload';
    expect(subjects(w)).toEqual([['setup:missing/ghost', 'open']]);
    expect(shown(w, 'setup:missing/ghost')).toMatchObject({ title: cause, description: cause, targets: '⚪ ghost' });
    expect(shown(w, 'setup:missing/ghost').content).toContain(cause);

    // An hour of cycles: no restart request ever reaches the API, and it rang once.
    await w.cycles(120);
    expect(w.kube.restarts).toEqual([]);
    expect(w.kube.countRequests({ method: 'PATCH' })).toBe(0);
    expect(roleRings(w)).toBe(1);
    expect(subjects(w)).toEqual([['setup:missing/ghost', 'open']]);

    // A person's /restart meets the same gate, with the same sentence.
    const refused = await w.discord.slashCommand({ name: 'restart', options: { target: 'ghost' }, user: OPERATOR });
    // Made literal for Discord (`\[2\]` shows as `[2]`): the gate's sentence may quote the cluster.
    expect(answer(refused)).toBe(`Not restarting ghost: ${escapeMarkdown(cause)}.`);
    expect(w.kube.countRequests({ method: 'PATCH' })).toBe(0);
    expect(w.app.store.auditFor({ action: 'restartRefused' }).map((a) => a.reason)).toEqual(['workloadMissing']);
    const status = unescapeMarkdown(answer(await w.discord.slashCommand({ name: 'status', options: { target: 'ghost' }, user: OPERATOR })));
    expect(status).toMatch(new RegExp(`^\\*\\*ghost\\*\\* ⚪ unknown \\(Deployment nvr/ghost not found — check targets\\[2\\]\\.workload\\)`));

    // The workload appears: the incident resolves, and ghost is judged as any target from now on.
    w.kube.addDeployment({ namespace: 'nvr', name: 'ghost', node: 'node-a' });
    await w.cycles(2);
    expect(subjects(w)).toEqual([['setup:missing/ghost', 'resolved']]);
    expect(shown(w, 'setup:missing/ghost').title).toMatch(/: Deployment nvr\/ghost exists$/);
    expect(roleRings(w)).toBe(1);
  });
});
