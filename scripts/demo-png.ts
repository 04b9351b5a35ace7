/**
 * Renders docs/demo.png: runs the demo, keeps its page as docs/demo.html, and photographs it in headless
 * Chromium (`npx tsx scripts/demo-png.ts`; needs /usr/bin/chromium). The README shows the picture; the
 * picture carries the SHA-256 of the page it was taken of, and test/demo/picture.test.ts fails when the
 * demo draws anything else now — a stale picture cannot pass for today's product.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { runDemo } from '../src/demo/index.js';
import { openChromium } from './chromium.js';
import { DEMO_PICTURE_TIME_ZONE, withPageHash } from './demoPicture.js';

const PNG = fileURLToPath(new URL('../docs/demo.png', import.meta.url));
const PAGE = fileURLToPath(new URL('../docs/demo.html', import.meta.url));

fs.mkdirSync(path.dirname(PNG), { recursive: true });
await runDemo(new PassThrough(), { html: PAGE, timeZone: DEMO_PICTURE_TIME_ZONE });
const browser = await openChromium({ width: 900, height: 900 });
try {
  const tab = await browser.context.newPage();
  await tab.goto(`file://${PAGE}`);
  const shot = await tab.screenshot({ fullPage: true });
  fs.writeFileSync(PNG, withPageHash(shot, fs.readFileSync(PAGE)));
} finally {
  await browser.close();
}
console.log(`wrote ${PNG} and ${PAGE}`);
