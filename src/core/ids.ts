import { randomBytes } from 'node:crypto';

/**
 * Time-ordered, prefixed identifiers (`doc_01j…`): sortable by creation time, recognisable by kind in logs,
 * and safe in URLs. 48 bits of milliseconds + 80 random bits, Crockford base32.
 */
const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';

export type IdGenerator = (prefix: string) => string;

export const newId: IdGenerator = (prefix) => {
  let time = Date.now();
  let timePart = '';
  for (let i = 0; i < 10; i++) {
    timePart = alphabet[time % 32] + timePart;
    time = Math.floor(time / 32);
  }
  const bytes = randomBytes(10);
  let randomPart = '';
  for (let i = 0; i < 16; i++) {
    const bitOffset = i * 5;
    const byte = bitOffset >> 3;
    const shift = bitOffset & 7;
    const value = (((bytes[byte] ?? 0) << 8) | (bytes[byte + 1] ?? 0)) >> (11 - shift);
    randomPart += alphabet[value & 31];
  }
  return `${prefix}_${timePart}${randomPart}`;
};
