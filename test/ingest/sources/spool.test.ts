import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Spool } from '../../../ingest/sources/spool.ts';

const work = mkdtempSync(join(tmpdir(), 'mailtrace-spool-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('a spool part is set aside when full (after its hook ran), and deleted only by a cycle that began after that', () => {
  const dir = join(work, 'parts');
  const spool = new Spool(dir, 100);
  const closes: string[] = [];
  spool.append('k', 'a'.repeat(60) + '\n', () => closes.push('first'));
  assert.equal(closes.length, 0);
  spool.append('k', 'b'.repeat(60) + '\n', () => closes.push('second'));
  assert.deepEqual(closes, ['second'], 'the hook runs when the append fills the part');
  const parts = readdirSync(dir).filter((n) => /^k\.part\d+\.log$/.test(n));
  assert.equal(parts.length, 1);
  assert.equal(existsSync(spool.partPath('k')), false, 'the next entry starts a new part');
  spool.append('k', 'c\n');
  assert.equal(readFileSync(spool.partPath('k'), 'utf8'), 'c\n');
  spool.cycleDone(Date.now() - 60_000);
  assert.equal(readdirSync(dir).filter((n) => n.includes('.part')).length, 1, 'a cycle that began before the closing may not have read it');
  spool.cycleDone(Date.now() + 1);
  assert.deepEqual(readdirSync(dir), ['k.log']);
  // a new spool on the folder finds closed parts a previous run left and deletes them after a cycle
  appendFileSync(join(dir, 'k.part1.log'), 'old\n');
  const again = new Spool(dir, 100);
  again.cycleDone(Date.now());
  assert.deepEqual(readdirSync(dir), ['k.log']);
});

test('recoverTail: the last complete line; a half-written last line is ended, never cut off', () => {
  const dir = join(work, 'tail');
  const spool = new Spool(dir);
  assert.equal(spool.recoverTail('none'), undefined);
  spool.append('j', 'one\ntwo\n');
  assert.equal(spool.recoverTail('j'), 'two');
  appendFileSync(spool.partPath('j'), '{"half');
  assert.equal(spool.recoverTail('j'), 'two');
  assert.equal(readFileSync(spool.partPath('j'), 'utf8'), 'one\ntwo\n{"half\n', 'the half line ended, the file never shorter');
  // lines longer than one read of the backwards scan
  const long = 'x'.repeat(200_000);
  spool.append('l', `${long}\n${long}y\n`);
  assert.equal(spool.recoverTail('l'), `${long}y`);
  spool.append('m', 'only\n');
  assert.equal(spool.recoverTail('m'), 'only');
});
