import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundle } from '../../scripts/bundle.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
/** Inside the checkout, as dist/ is: the bundle finds package.json and migrations/ by walking up. */
const OUT = fs.mkdtempSync(path.join(ROOT, '.bundle-test-'));
let meta: Metafile;

beforeAll(async () => {
  meta = await bundle(OUT);
}, 120_000);
afterAll(() => fs.rmSync(OUT, { recursive: true, force: true }));

/** The inputs of every output `stormguard run` loads: the entry and what it imports statically. */
function loadedAtStart(): string[] {
  const outputs = meta.outputs;
  const entry = Object.keys(outputs).find((o) => outputs[o]!.entryPoint === 'src/bin.ts')!;
  const seen = new Set<string>([entry]);
  for (const out of seen) {
    for (const imported of outputs[out]!.imports) if (imported.kind === 'import-statement' && imported.path in outputs) seen.add(imported.path);
  }
  return [...seen].flatMap((o) => Object.keys(outputs[o]!.inputs));
}

const run = (...args: string[]) => spawnSync(process.execPath, [path.join(OUT, 'stormguard.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });

describe('the production bundle (npm run build)', () => {
  it("leaves client-node's generated API out of what the bot loads: KubeConfig and ApiException stay (watches are our own, with bounded lines)", () => {
    const inputs = loadedAtStart();
    for (const kept of ['dist/config.js', 'dist/gen/apis/exception.js']) expect(inputs.some((i) => i.endsWith(`@kubernetes/client-node/${kept}`)), kept).toBe(true);
    // The typed APIs (every group's, through ObjectParamAPI) and their serializer of every model.
    expect(inputs.filter((i) => /@kubernetes\/client-node\/dist\/gen\/(apis\/(?!exception\.js)|types\/)/.test(i))).toEqual([]);
    expect(inputs.filter((i) => i.includes('ObjectSerializer'))).toEqual([]);
  });

  it('loads the doctor, the demo, the simulators, Discord and SMTP only when they are used', () => {
    const inputs = loadedAtStart();
    expect(inputs.some((i) => i === 'src/runtime/app/start.ts')).toBe(true);
    expect(inputs.filter((i) => /^src\/(doctor|demo|sim)\//.test(i))).toEqual([]);
    expect(inputs.filter((i) => /^node_modules\/(discord\.js|nodemailer)\//.test(i))).toEqual([]);
  });

  it('runs: --version names the package version, and the demo tells the whole story through the real adapters', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const version = run('--version');
    expect(version.stderr).toBe('');
    expect(version.stdout.trim()).toBe(`stormguard ${pkg.version}`);
    const demo = run('demo');
    expect(demo.status, demo.stderr).toBe(0);
    expect(demo.stdout).toMatch(/summary: 1 message posted, .* 1 restart attempted, 0 futile restarts/);
  });
});
