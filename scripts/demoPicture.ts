/**
 * What ties docs/demo.png to the page it was taken of: a PNG text chunk holding the page's SHA-256.
 * Written by scripts/demo-png.ts, read by the picture test.
 */
import { createHash } from 'node:crypto';
import zlib from 'node:zlib';

/** Times as a European homelab owner sees them; the picture should not depend on the machine. */
export const DEMO_PICTURE_TIME_ZONE = 'Europe/Berlin';

const KEYWORD = 'stormguard-demo-page-sha256';
const SIGNATURE_BYTES = 8;

/** The hex SHA-256 of a page. */
export function pageHash(page: Buffer): string {
  return createHash('sha256').update(page).digest('hex');
}

/** The PNG with a `tEXt` chunk naming the page's hash, inserted just before `IEND`. */
export function withPageHash(png: Buffer, page: Buffer): Buffer {
  const data = Buffer.from(`${KEYWORD}\0${pageHash(page)}`, 'latin1');
  const type = Buffer.from('tEXt', 'latin1');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([type, data])));
  const end = png.length - 12; // IEND: length, type, no data, CRC
  if (png.toString('latin1', end + 4, end + 8) !== 'IEND') throw new Error('demo-png: the screenshot does not end in IEND');
  return Buffer.concat([png.subarray(0, end), length, type, data, crc, png.subarray(end)]);
}

/** The page hash a picture carries, or null when it carries none. */
export function pictureHash(png: Buffer): string | null {
  for (let at = SIGNATURE_BYTES; at + 12 <= png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    if (type === 'tEXt') {
      const [keyword, text] = png.toString('latin1', at + 8, at + 8 + length).split('\0');
      if (keyword === KEYWORD) return text ?? null;
    }
    at += 12 + length;
  }
  return null;
}
