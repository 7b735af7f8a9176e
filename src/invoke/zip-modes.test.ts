import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { executableEntries } from './zip-modes.js';

const unix = (mode: number) => ({ os: 3, attrs: (mode << 16) >>> 0 });

describe('zip entry modes', () => {
  it('finds the entries a Unix archiver marked executable, and only those', () => {
    const zip = Buffer.from(
      zipSync({
        bootstrap: [Buffer.from('#!/bin/sh\n'), unix(0o100755)],
        'bin/tool': [Buffer.from('x'), unix(0o100700)],
        'function.sh': [Buffer.from('handler () { :; }'), unix(0o100644)],
        'dos.exe': [Buffer.from('x'), { os: 0, attrs: 0x20 }],
        'plain.txt': Buffer.from('no attributes'),
      }),
    );
    expect([...executableEntries(zip)].sort()).toEqual(['bin/tool', 'bootstrap']);
  });

  it('yields nothing for bytes that are not a zip', () => {
    expect(executableEntries(Buffer.from('not a zip at all, just text')).size).toBe(0);
    expect(executableEntries(Buffer.alloc(0)).size).toBe(0);
  });
});
