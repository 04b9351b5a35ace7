/**
 * `npm run bench`: runs the benchmark against the simulators on loopback, prints the table and
 * writes `bench/results/latest.json`. `--profile` also writes a CPU profile of the measured scale
 * cycles to the temporary directory (open it in Chrome DevTools; profiling slows those cycles).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FULL, runBench } from './bench.js';
import { renderReport } from './report.js';

const profile = process.argv.includes('--profile');
const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
fs.mkdirSync(resultsDir, { recursive: true });

const cpuProfile = profile ? path.join(os.tmpdir(), `stormguard-scale-${Date.now()}.cpuprofile`) : undefined;
const result = await runBench({
  ...FULL,
  scale: { ...FULL.scale, ...(cpuProfile ? { cpuProfile } : {}) },
  onPhase: (phase) => process.stderr.write(`… ${phase}\n`),
});
const file = `${resultsDir}latest.json`;
fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
process.stdout.write(`${renderReport(result)}\nwrote ${file}${cpuProfile ? ` and ${cpuProfile}` : ''}\n`);
