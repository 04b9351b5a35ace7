/**
 * The README's picture shows today's product: docs/demo.html is the page docs/demo.png was taken of
 * (the picture carries its hash), and it must be exactly what the demo draws now. When this fails,
 * run `npx tsx scripts/demo-png.ts` and commit both files.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DEMO_PICTURE_TIME_ZONE, pageHash, pictureHash, withPageHash } from '../../scripts/demoPicture.js';
import { runDemo } from '../../src/demo/index.js';

const DOCS = path.resolve(import.meta.dirname, '../../docs');
const FIX = 'docs/demo.png is stale: run `npx tsx scripts/demo-png.ts` and commit docs/demo.png and docs/demo.html';

describe('the README picture', () => {
  it('was taken of docs/demo.html', () => {
    const hash = pictureHash(fs.readFileSync(path.join(DOCS, 'demo.png')));
    expect(hash, FIX).toBe(pageHash(fs.readFileSync(path.join(DOCS, 'demo.html'))));
  });

  it('docs/demo.html is what the demo draws now', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stormguard-demo-picture-'));
    try {
      const page = path.join(dir, 'demo.html');
      await runDemo(new PassThrough(), { html: page, timeZone: DEMO_PICTURE_TIME_ZONE });
      // Compared as text so a failure shows the lines that changed.
      expect(fs.readFileSync(path.join(DOCS, 'demo.html'), 'utf8'), FIX).toBe(fs.readFileSync(page, 'utf8'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('reads back the hash it wrote, and none from a picture without it', () => {
    // The smallest valid PNG: signature, IHDR of a 1×1 image, IDAT, IEND (as Chromium would end it).
    const png = Buffer.from(
      '89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d4944415478da63f8cfc0f01f0005000201a5' + 'f6e3c40000000049454e44ae426082',
      'hex',
    );
    expect(pictureHash(png)).toBeNull();
    const page = Buffer.from('<html>now</html>');
    const tagged = withPageHash(png, page);
    expect(pictureHash(tagged)).toBe(pageHash(page));
    expect(tagged.subarray(-12).toString('latin1', 4, 8)).toBe('IEND');
  });
});
