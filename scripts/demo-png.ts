/**
 * Renders docs/demo.png: runs the demo, writes its page, and photographs it in headless Chromium
 * (`npx tsx scripts/demo-png.ts`; needs /usr/bin/chromium). The README shows the picture.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runDemo } from '../src/demo/index.js';
import { openChromium } from './chromium.js';

const OUT = fileURLToPath(new URL('../docs/demo.png', import.meta.url));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-demo-png-'));
const page = path.join(dir, 'demo.html');
// Times as a European homelab owner sees them; the picture should not depend on the machine.
await runDemo(new PassThrough(), { html: page, timeZone: 'Europe/Berlin' });
const browser = await openChromium({ width: 900, height: 900 });
try {
  const tab = await browser.context.newPage();
  await tab.goto(`file://${page}`);
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  await tab.screenshot({ path: OUT, fullPage: true });
} finally {
  await browser.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
console.log(`wrote ${OUT}`);
