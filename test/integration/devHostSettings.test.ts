// local.settings.json handling of the local stand-in Functions host, like `func start`: `Values` become
// environment variables, and variables that are already set win.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { expandGlob, loadLocalSettings } from '../../dev/host.js';

describe('dev host settings and function discovery', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'devhost-settings-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('loads Values into process.env without overriding variables that are already set', () => {
    writeFileSync(
      path.join(dir, 'local.settings.json'),
      JSON.stringify({ IsEncrypted: false, Values: { DEVHOST_T_NEW: 'from-file', DEVHOST_T_SET: 'from-file', DEVHOST_T_NUM: 5 } }),
    );
    process.env.DEVHOST_T_SET = 'from-env';
    loadLocalSettings(dir);
    assert.equal(process.env.DEVHOST_T_NEW, 'from-file');
    assert.equal(process.env.DEVHOST_T_SET, 'from-env');
    assert.equal(process.env.DEVHOST_T_NUM, '5');
  });

  it('fills settings still unset from a defaults file (npm start passes local.settings.sample.json)', () => {
    writeFileSync(
      path.join(dir, 'defaults.json'),
      JSON.stringify({ Values: { DEVHOST_T_NEW: 'from-defaults', DEVHOST_T_DEFAULT_ONLY: 'from-defaults' } }),
    );
    const defaulted = loadLocalSettings(dir, 'defaults.json');
    assert.deepEqual(defaulted, ['DEVHOST_T_DEFAULT_ONLY']);
    assert.equal(process.env.DEVHOST_T_NEW, 'from-file', 'local.settings.json wins over the defaults');
    assert.equal(process.env.DEVHOST_T_DEFAULT_ONLY, 'from-defaults');
  });

  it('expands package.json main globs of the form dir/*.js, sorted, ignoring other files', () => {
    writeFileSync(path.join(dir, 'b.js'), '');
    writeFileSync(path.join(dir, 'a.js'), '');
    writeFileSync(path.join(dir, 'a.js.map'), '');
    assert.deepEqual(expandGlob(dir, '*.js'), [path.join(dir, 'a.js'), path.join(dir, 'b.js')]);
    assert.deepEqual(expandGlob(dir, 'missing/*.js'), []);
  });
});
