/**
 * Debian's Chromium (`/usr/bin/chromium`) driven by playwright-core, headless, with a fresh profile
 * and nothing that talks to the network by itself: for the demo page's browser test and for rendering
 * docs/demo.png.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Where Debian installs it (`apt-get install chromium`). */
export const CHROMIUM = '/usr/bin/chromium';

/** A browser context on a fresh user-data-dir; `close()` also removes the profile. */
export async function openChromium(viewport = { width: 960, height: 900 }): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    context,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}
