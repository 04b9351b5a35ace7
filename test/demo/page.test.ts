/**
 * `stormguard demo --html`: the page opened in real headless Chromium (Debian's, driven by
 * playwright-core), checked for what a person sees — the message, the embed with its colour bar and
 * fields, the buttons, the thread with its quiet notes, the ring — and for no raw Discord markup.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { CHROMIUM, openChromium } from '../../scripts/chromium.js';
import { runDemo } from '../../src/demo/index.js';

const available = fs.existsSync(CHROMIUM);
let dir: string;
let browser: Awaited<ReturnType<typeof openChromium>>;
let page: Page;
let narration = '';

beforeAll(async () => {
  if (!available) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-demo-page-'));
  const out = new PassThrough();
  out.on('data', (c: Buffer) => (narration += c.toString()));
  const file = path.join(dir, 'demo.html');
  await runDemo(out, { html: file, timeZone: 'UTC' });
  browser = await openChromium();
  page = await browser.context.newPage();
  await page.goto(`file://${file}`);
}, 60_000);
afterAll(async () => {
  await browser?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

/** The embed's left border colour as the browser computed it (runs in the page). */
const colourBar = (el: unknown) => (globalThis as unknown as { getComputedStyle(e: unknown): { borderLeftColor: string } }).getComputedStyle(el).borderLeftColor;
const moment = (n: number) => page.locator('section.moment').nth(n);

describe.skipIf(!available)('the demo page in headless Chromium', () => {
  it('shows three moments of the story, each with its time and what happened', async () => {
    await expect.poll(() => page.locator('section.moment').count()).toBe(3);
    expect(await moment(0).locator('h2').innerText()).toBe('22:02 node-a goes down for maintenance while frigate on it is unhealthy');
    expect(await moment(1).locator('.narration').innerText()).toContain('alice types /ack');
    expect(await moment(2).locator('.narration').innerText()).toContain('stormguard restarts frigate: rollout restart of Deployment nvr/frigate');
  });

  it('shows the incident message with @oncall, the ring marked, and the embed with a red colour bar and its fields', async () => {
    const message = moment(0).locator('article.message');
    await expect.poll(() => message.count()).toBe(1);
    expect(await message.locator('.content').innerText()).toMatch(/^@oncall Incident #1: node-a is NotReady/);
    expect(await message.locator('[data-ring]').isVisible()).toBe(true);
    expect(await message.locator('[data-ring]').innerText()).toContain('rang @oncall');
    const embed = message.locator('.embed');
    expect(await embed.isVisible()).toBe(true);
    expect(await embed.locator('.embed-title').innerText()).toBe('node-a is NotReady — 1 service affected');
    // The colour bar is the embed's left border, in the incident's colour (open: red).
    const bar = await embed.evaluate(colourBar);
    const [r, g, b] = bar.match(/\d+/g)!.map(Number);
    expect(r).toBeGreaterThan(180);
    expect(g! + b!).toBeLessThan(200);
    const fields = await embed.locator('.field-name').allInnerTexts();
    expect(fields).toEqual(expect.arrayContaining(['State', 'Since', 'Targets', 'Nodes', 'Restarts']));
    expect(await embed.innerText()).toContain('a few seconds ago');
  });

  it('shows the buttons, with Acknowledge disabled once acknowledged', async () => {
    expect(await moment(0).locator('button.button').allInnerTexts()).toEqual(['Acknowledge', 'Silence 1h', 'Restart', 'Logs']);
    expect(await moment(0).locator('button', { hasText: 'Acknowledge' }).isEnabled()).toBe(true);
    expect(await moment(1).locator('button', { hasText: 'Acknowledge' }).isDisabled()).toBe(true);
    expect(await moment(1).locator('.embed').innerText()).toContain('@alice');
  });

  it('shows the thread with its quiet notes, archived once resolved, and the embed green', async () => {
    const thread = moment(2).locator('[data-thread]');
    expect(await thread.isVisible()).toBe(true);
    expect(await thread.locator('.thread-name').innerText()).toContain('archived');
    const notes = thread.locator('.note');
    expect(await notes.count()).toBe(7);
    expect(await thread.locator('.note[data-silent]').count()).toBe(7);
    expect(await notes.nth(2).innerText()).toContain('Acknowledged by @alice');
    const bar = await moment(2).locator('.embed').evaluate(colourBar);
    const [r, g] = bar.match(/\d+/g)!.map(Number);
    expect(g).toBeGreaterThan(r!);
  });

  it('shows no raw Discord markup anywhere', async () => {
    const text = await page.locator('body').innerText();
    expect(text).not.toMatch(/<t:\d+|<@&?\d+>|@&\d+/);
  });

  it('narrates on the console too: every action, the /ack included, in markup as seen', () => {
    expect(narration).toContain('alice types /ack');
    expect(narration).toContain('→ stormguard posts the incident message and rings @oncall');
    expect(narration).toContain('Acknowledged by: @alice');
    expect(narration).not.toMatch(/<t:\d+|<@&?\d+>/);
  });
});
