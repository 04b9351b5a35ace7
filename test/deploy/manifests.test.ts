/**
 * deploy/ (SPEC §8): rendered with the real kustomize inside kubectl 1.34, every object validated
 * against the Kubernetes schemas (kubernetes-models), and the parts that matter checked: the
 * Deployment's shape and hardening, least-privilege RBAC, and that the example configuration is a
 * valid stormguard configuration whose namespaces the RBAC covers — and no more than that.
 */
import fs from 'node:fs';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPolicyRule } from 'kubernetes-models/rbac.authorization.k8s.io/v1/PolicyRule';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { interpolateEnv, validateConfig, type Config } from '../../src/config/index.js';
import { kubectl, kubectlUnavailableReason } from '../helpers/kubectl.js';
import { effectiveGrants, type Grant, type KubeObject } from '../helpers/rbac.js';

const NAMESPACE = 'stormguard';
const SERVICE_ACCOUNT = 'stormguard';
const PORT = 9464;

// Every kind deploy/ may contain, by apiVersion and kind. A kind missing here fails the test
// instead of going unvalidated.
type Validatable = { validate(): void };
const MODELS: Record<string, new (data: unknown) => Validatable> = {};
for (const model of [
  Namespace,
  ServiceAccount,
  ConfigMap,
  Secret,
  Service,
  PersistentVolumeClaim,
  Deployment,
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
]) {
  MODELS[`${model.apiVersion}/${model.kind}`] = model as unknown as new (data: unknown) => Validatable;
}
const CLUSTER_SCOPED = new Set(['Namespace', 'ClusterRole', 'ClusterRoleBinding']);

const READ = ['get', 'list', 'watch'];
const WORKLOAD_RESOURCES = { Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets' } as const;

const unavailable = kubectlUnavailableReason();
// Only a developer machine that cannot run the linux binary skips; CI must run this.
const skip = unavailable !== undefined && !process.env.CI;

describe.skipIf(skip)(`deploy/ rendered by kustomize${skip ? ` (skipped: ${unavailable})` : ''}`, () => {
  let objects: KubeObject[];
  let deployment: Deployment;
  let container: IContainer;
  let configText: string;
  let parsedConfig: Config | undefined;
  let grants: Grant[];

  const find = (kind: string, name?: string, namespace?: string) =>
    objects.filter(
      (o) =>
        o.kind === kind &&
        (name === undefined || o.metadata.name === name) &&
        (namespace === undefined || o.metadata.namespace === namespace),
    );
  const only = (kind: string, name?: string, namespace?: string): KubeObject => {
    const found = find(kind, name, namespace);
    expect(found, `exactly one ${kind} ${namespace ? `${namespace}/` : ''}${name ?? ''}`).toHaveLength(1);
    return found[0]!;
  };
  /**
   * The ConfigMap's stormguard.yaml through stormguard's own interpolation and validation, with the
   * example Secret's placeholders as the environment, as the pod would see them. Lazy, so a config
   * error fails the tests that need the config rather than hiding every other check.
   */
  const config = (): Config => {
    if (parsedConfig) return parsedConfig;
    const secret = only('Secret', 'stormguard-secrets', NAMESPACE) as KubeObject & { stringData?: Record<string, string> };
    const env = { ...secret.stringData, POD_NAME: 'stormguard-0', POD_NAMESPACE: NAMESPACE };
    const [document, ...more] = parseAllDocuments(configText);
    expect(more, 'stormguard.yaml is one YAML document').toEqual([]);
    expect(document!.errors).toEqual([]);
    parsedConfig = validateConfig(interpolateEnv(document!.toJS(), env), 'deploy/stormguard.yaml');
    return parsedConfig;
  };
  const allowed = (namespace: string, group: string, resource: string, verb: string) =>
    grants.some(
      (g) =>
        (g.namespace === undefined || g.namespace === namespace) &&
        g.group === group &&
        g.resource === resource &&
        g.verb === verb &&
        g.resourceNames === undefined,
    );

  beforeAll(() => {
    const rendered = kubectl(['kustomize', 'deploy/']);
    const documents = parseAllDocuments(rendered);
    objects = documents.map((document) => {
      expect(document.errors, 'kustomize output parses as YAML').toEqual([]);
      return document.toJS() as KubeObject;
    });

    deployment = new Deployment(only('Deployment', 'stormguard', NAMESPACE) as never);
    const containers = deployment.spec!.template.spec!.containers;
    expect(containers).toHaveLength(1);
    container = containers[0]!;

    const configMapName = deployment.spec!.template.spec!.volumes?.find((v) => v.name === 'config')?.configMap?.name;
    // configMapGenerator: the name carries a content hash, so a changed configuration rolls the pod.
    expect(configMapName, 'the Deployment mounts the generated ConfigMap as "config"').toMatch(/^stormguard-config-[a-z0-9]+$/);
    const configMap = only('ConfigMap', configMapName, NAMESPACE) as KubeObject & { data?: Record<string, string> };
    configText = configMap.data?.['stormguard.yaml'] ?? '';
    expect(configText, 'the ConfigMap has the key stormguard.yaml').not.toBe('');

    grants = effectiveGrants(objects, { name: SERVICE_ACCOUNT, namespace: NAMESPACE });
  });

  it('renders exactly the expected kinds, each valid against the Kubernetes schemas', () => {
    const problems: string[] = [];
    for (const object of objects) {
      const id = `${object.apiVersion} ${object.kind} ${object.metadata?.namespace ?? ''}/${object.metadata?.name}`;
      const Model = MODELS[`${object.apiVersion}/${object.kind}`];
      if (!Model) {
        problems.push(`${id}: no schema to validate this kind against (add it to MODELS)`);
        continue;
      }
      try {
        new Model(object).validate();
      } catch (error) {
        problems.push(`${id}: ${(error as Error).message}`);
      }
      // Nothing in deploy/ sets a kustomize namespace, so a forgotten one would land in whatever
      // namespace the applying user's context happens to point at.
      if (CLUSTER_SCOPED.has(object.kind)) {
        if (object.metadata.namespace !== undefined) problems.push(`${id}: cluster-scoped but has a namespace`);
      } else if (!object.metadata.namespace) {
        problems.push(`${id}: namespaced but names no namespace`);
      }
    }
    expect(problems).toEqual([]);

    const kinds = [...new Set(objects.map((o) => o.kind))].sort();
    expect(kinds).toEqual(
      [
        'ClusterRole',
        'ClusterRoleBinding',
        'ConfigMap',
        'Deployment',
        'Namespace',
        'PersistentVolumeClaim',
        'Role',
        'RoleBinding',
        'Secret',
        'Service',
        'ServiceAccount',
      ].sort(),
    );
    only('Namespace', NAMESPACE);
    only('ServiceAccount', SERVICE_ACCOUNT, NAMESPACE);
    const pvc = only('PersistentVolumeClaim', 'stormguard-data', NAMESPACE) as unknown as PersistentVolumeClaim;
    expect(pvc.spec?.accessModes).toEqual(['ReadWriteOnce']);
    expect(pvc.spec?.resources?.requests?.storage).toBe('1Gi');
  });

  it('runs one pod at a time, replaced by Recreate (SQLite on a ReadWriteOnce volume)', () => {
    expect(deployment.spec!.replicas).toBe(1);
    expect(deployment.spec!.strategy?.type).toBe('Recreate');
    expect(deployment.spec!.strategy?.rollingUpdate).toBeUndefined();
  });

  it('runs the image with the configuration from the ConfigMap', () => {
    expect(container.image).toMatch(/^ghcr\.io\/stormguard\/stormguard:\d+\.\d+\.\d+$/);
    expect(container.args).toEqual(['run', '--config', '/config/stormguard.yaml']);
    // The image's ENTRYPOINT runs: node with the Dockerfile's memory flags (a command would drop them).
    expect(container.command).toBeUndefined();
    const mount = container.volumeMounts?.find((m) => m.mountPath === '/config');
    expect(mount?.name).toBe('config');
    expect(mount?.readOnly).toBe(true);
  });

  it('probes /healthz for liveness and /readyz for readiness on the http port 9464', () => {
    const port = container.ports?.find((p) => p.name === 'http');
    expect(port?.containerPort).toBe(PORT);
    expect(container.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
    for (const probe of [container.livenessProbe, container.readinessProbe]) {
      expect([PORT, 'http']).toContain(probe?.httpGet?.port);
    }
    expect(config().http.port, 'the configuration serves HTTP where the probes look').toBe(PORT);
  });

  it('runs as uid 1000, non-root, unprivileged, with a read-only root filesystem', () => {
    const pod = deployment.spec!.template.spec!;
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      fsGroup: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.securityContext?.privileged).not.toBe(true);
    expect(container.securityContext?.capabilities?.add ?? []).toEqual([]);
    expect(pod.hostNetwork ?? false).toBe(false);
    expect(pod.hostPID ?? false).toBe(false);
    expect(pod.serviceAccountName).toBe(SERVICE_ACCOUNT);
    expect(pod.automountServiceAccountToken).toBe(true);
  });

  it('writes only to the data volume at /data (where the database is) and an emptyDir at /tmp', () => {
    const volumes = new Map((deployment.spec!.template.spec!.volumes ?? []).map((v) => [v.name, v]));
    const writable = (container.volumeMounts ?? []).filter((m) => m.readOnly !== true);
    expect(writable.map((m) => m.mountPath).sort()).toEqual(['/data', '/tmp']);
    const data = writable.find((m) => m.mountPath === '/data')!;
    expect(volumes.get(data.name)?.persistentVolumeClaim?.claimName).toBe('stormguard-data');
    const tmp = writable.find((m) => m.mountPath === '/tmp')!;
    for (const mount of container.volumeMounts ?? []) expect(volumes.has(mount.name), `volume ${mount.name}`).toBe(true);
    expect(volumes.get(tmp.name)?.emptyDir).toBeDefined();
    expect(config().database.path.startsWith('/data/'), 'the database is on the volume').toBe(true);
  });

  it('sets resource requests and a memory limit', () => {
    expect(container.resources?.requests?.cpu).toBeDefined();
    expect(container.resources?.requests?.memory).toBeDefined();
    expect(container.resources?.limits?.memory).toBeDefined();
  });

  it('fills the environment from the Secret and the downward API, and every ${VAR} of the configuration is set', () => {
    const env = new Map((container.env ?? []).map((e) => [e.name, e]));
    expect(env.get('POD_NAME')?.valueFrom?.fieldRef?.fieldPath).toBe('metadata.name');
    const secret = only('Secret', 'stormguard-secrets', NAMESPACE) as KubeObject & { stringData?: Record<string, string> };
    const secretKeys = Object.keys(secret.stringData ?? {}).sort();
    expect(secretKeys).toEqual(['DISCORD_TOKEN', 'HC_UUID', 'NTFY_TOKEN', 'SMTP_PASS', 'SMTP_USER']);
    // Placeholders only: nothing that looks like a real token is committed.
    for (const key of secretKeys) expect(secret.stringData![key], key).toBe('change-me');
    expect(secret.data, 'no base64 data hiding real values').toBeUndefined();

    for (const [name, variable] of env) {
      const ref = variable.valueFrom?.secretKeyRef;
      if (!ref) continue;
      expect(ref.name, name).toBe('stormguard-secrets');
      expect(secretKeys, `${name} comes from a key of the example Secret`).toContain(ref.key);
    }
    expect(env.get('DISCORD_TOKEN')?.valueFrom?.secretKeyRef?.optional ?? false, 'the Discord token is required').toBe(
      false,
    );

    // From the parsed values (comments may mention ${VAR} too); `$${X}` is an escaped literal.
    const referenced = stringsIn(parseAllDocuments(configText)[0]!.toJS()).flatMap((text) =>
      [...text.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!),
    );
    expect(referenced.length).toBeGreaterThan(0);
    for (const name of referenced) expect([...env.keys()], `\${${name}} in stormguard.yaml is set in the pod`).toContain(name);
  });

  it('exposes /metrics through a ClusterIP Service that selects the pod', () => {
    const service = new Service(only('Service', 'stormguard', NAMESPACE) as never);
    expect(service.spec?.type ?? 'ClusterIP').toBe('ClusterIP');
    expect(service.spec?.ports?.[0]?.port).toBe(PORT);
    expect(['http', PORT]).toContain(service.spec?.ports?.[0]?.targetPort);
    expect(deployment.spec!.template.metadata?.labels).toMatchObject(service.spec?.selector ?? { missing: 'selector' });
    expect(service.metadata?.annotations).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/path': '/metrics' });
  });

  it('the example configuration is valid and watches frigate, home-assistant and mqtt', () => {
    expect(config().targets.map((t) => t.name)).toEqual(['frigate', 'home-assistant', 'mqtt']);
    expect(config().targets.map((t) => [t.namespace, t.workload.kind])).toEqual([
      ['nvr', 'Deployment'],
      ['home', 'StatefulSet'],
      ['nvr', 'Pods'],
    ]);
    expect(config().discord?.token).toBe('change-me');
    expect(config().heartbeat?.url).toBe('https://hc-ping.com/change-me');
  });

  describe('RBAC', () => {
    it('grants only to the stormguard ServiceAccount, through roles that exist', () => {
      for (const binding of [...find('RoleBinding'), ...find('ClusterRoleBinding')]) {
        const { subjects, roleRef } = binding as unknown as RoleBinding;
        expect(subjects, binding.metadata.name).toEqual([
          { kind: 'ServiceAccount', name: SERVICE_ACCOUNT, namespace: NAMESPACE },
        ]);
        const role = find(roleRef.kind, roleRef.name, roleRef.kind === 'Role' ? binding.metadata.namespace : undefined);
        expect(role, `${binding.kind} ${binding.metadata.name} refers to a rendered ${roleRef.kind}`).toHaveLength(1);
      }
    });

    it('has no wildcards, no Secrets, no privilege-escalating verbs and no non-resource URLs', () => {
      for (const role of [...find('Role'), ...find('ClusterRole')]) {
        const { rules = [], aggregationRule } = role as unknown as ClusterRole;
        expect(aggregationRule, role.metadata.name).toBeUndefined();
        for (const rule of rules as IPolicyRule[]) {
          const where = `${role.kind} ${role.metadata.namespace ?? ''}/${role.metadata.name}`;
          const words = [...(rule.apiGroups ?? []), ...(rule.resources ?? []), ...rule.verbs, ...(rule.resourceNames ?? [])];
          expect(words.filter((w) => w.includes('*')), where).toEqual([]);
          expect(rule.resources ?? [], where).not.toContain('secrets');
          expect(rule.verbs.filter((v) => ['escalate', 'bind', 'impersonate'].includes(v)), where).toEqual([]);
          expect(rule.nonResourceURLs, where).toBeUndefined();
        }
      }
    });

    it('reads nodes and upgrade Plans cluster-wide and nothing else cluster-wide', () => {
      const clusterWide = grants.filter((g) => g.namespace === undefined);
      expect(clusterWide.map((g) => `${g.group}/${g.resource}:${g.verb}`).sort()).toEqual(
        ['/nodes:get', '/nodes:list', '/nodes:watch', 'upgrade.cattle.io/plans:get', 'upgrade.cattle.io/plans:list', 'upgrade.cattle.io/plans:watch'].sort(),
      );
      expect(grants.filter((g) => g.resource === 'nodes' && g.namespace !== undefined)).toEqual([]);
    });

    it('writes exactly: patch of workloads and pod deletion in the watched namespaces, its own Lease', () => {
      const writes = grants
        .filter((g) => !READ.includes(g.verb))
        .map((g) => `${g.namespace}: ${g.group || 'core'}/${g.resource} ${g.verb}${g.resourceNames ? ` [${g.resourceNames.join(',')}]` : ''}`)
        .sort();
      expect(writes).toEqual(
        [
          'home: apps/statefulsets patch',
          'nvr: apps/deployments patch',
          'nvr: core/pods delete',
          'stormguard: coordination.k8s.io/leases create',
          'stormguard: coordination.k8s.io/leases update [stormguard]',
        ].sort(),
      );
      // The same, as rules: patch only on apps workloads, Leases only in the bot's namespace.
      for (const g of grants.filter((g) => g.verb === 'patch')) {
        expect(g.group).toBe('apps');
        expect(Object.values(WORKLOAD_RESOURCES)).toContain(g.resource);
      }
      expect(grants.filter((g) => g.resource === 'leases').every((g) => g.namespace === NAMESPACE)).toBe(true);
      expect(grants.some((g) => g.resource === 'leases' && g.verb === 'get')).toBe(true);
    });

    it('offers cluster-wide reads only as an opt-in file: read-only, pods and the configuration’s kinds, bound to stormguard, not in the kustomization', () => {
      const text = fs.readFileSync('deploy/rbac-watch-cluster.yaml', 'utf8');
      const extra = parseAllDocuments(text).map((d) => d.toJS() as KubeObject);
      for (const object of extra) new MODELS[`${object.apiVersion}/${object.kind}`]!(object).validate();
      expect(fs.readFileSync('deploy/kustomization.yaml', 'utf8')).not.toMatch(/^\s*- rbac-watch-cluster\.yaml/m);
      const added = effectiveGrants(extra, { name: SERVICE_ACCOUNT, namespace: NAMESPACE });
      expect(added.map((g) => `${g.namespace ?? '*'} ${g.group || 'core'}/${g.resource} ${g.verb}`).sort()).toEqual(
        [
          ...config()
            .targets.flatMap((t) => ['core/pods', 'core/events', ...(t.workload.kind === 'Pods' ? [] : [`apps/${WORKLOAD_RESOURCES[t.workload.kind]}`])])
            .filter((r, i, all) => all.indexOf(r) === i)
            .flatMap((r) => [`* ${r} list`, `* ${r} watch`]),
        ].sort(),
      );
    });

    it('covers every namespace the configuration watches, and only those', () => {
      const watched = [...new Set(config().targets.map((t) => t.namespace))].sort();
      expect(watched).toEqual(['home', 'nvr']);
      for (const target of config().targets) {
        const where = `target ${target.name} in ${target.namespace}`;
        for (const verb of READ) expect(allowed(target.namespace, '', 'pods', verb), `${where}: pods ${verb}`).toBe(true);
        for (const verb of ['list', 'watch']) expect(allowed(target.namespace, '', 'events', verb), `${where}: events ${verb}`).toBe(true);
        // With diagnosis.logs on (the example's default): the failing container's log, get only.
        expect(config().diagnosis.logs).toBe(true);
        expect(allowed(target.namespace, '', 'pods/log', 'get'), `${where}: pods/log get`).toBe(true);
        if (target.workload.kind === 'Pods') {
          expect(allowed(target.namespace, '', 'pods', 'delete'), `${where}: pods delete`).toBe(true);
        } else {
          const resource = WORKLOAD_RESOURCES[target.workload.kind];
          for (const verb of [...READ, 'patch']) {
            expect(allowed(target.namespace, 'apps', resource, verb), `${where}: ${resource} ${verb}`).toBe(true);
          }
        }
      }
      // No grant outlives the configuration: pods are deleted only where a Pods target lives,
      // and no namespace is readable that no target lives in.
      const podsTargetNamespaces = new Set(config().targets.filter((t) => t.workload.kind === 'Pods').map((t) => t.namespace));
      for (const g of grants.filter((g) => g.resource === 'pods' && g.verb === 'delete')) {
        expect(podsTargetNamespaces.has(g.namespace ?? '*'), `pods delete in ${g.namespace}`).toBe(true);
      }
      // Beside the watched namespaces, only kured's lock: its one DaemonSet, read by name (rbac-maintenance.yaml).
      expect(grants.filter((g) => g.namespace === 'kube-system').map((g) => `${g.group}/${g.resource} ${g.verb} [${(g.resourceNames ?? []).join(',')}]`).sort()).toEqual(
        ['apps/daemonsets get [kured]', 'apps/daemonsets list [kured]', 'apps/daemonsets watch [kured]'],
      );
      const namespacesGranted = new Set(grants.filter((g) => g.namespace && g.namespace !== NAMESPACE && g.namespace !== 'kube-system').map((g) => g.namespace));
      expect([...namespacesGranted].sort()).toEqual(watched);
      expect(allowed('home', '', 'pods', 'delete')).toBe(false);
      expect(allowed('nvr', '', 'pods', 'delete')).toBe(true);
      // Only the workload kinds targets use, per namespace.
      expect(allowed('home', 'apps', 'deployments', 'list')).toBe(false);
      expect(allowed('nvr', 'apps', 'statefulsets', 'list')).toBe(false);
      expect(allowed('nvr', 'apps', 'daemonsets', 'patch')).toBe(false);
      // Logs are read where targets live, never listed, watched or read cluster-wide.
      for (const g of grants.filter((g) => g.resource === 'pods/log')) {
        expect(g.verb, 'pods/log').toBe('get');
        expect(watched, `pods/log in ${g.namespace ?? 'every namespace'}`).toContain(g.namespace);
      }
    });
  });
});

function stringsIn(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value && typeof value === 'object') return Object.values(value).flatMap(stringsIn);
  return [];
}
