import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

/**
 * The README's test command (`npm test` → test/run.sh, which .ci/run calls) fails on a type
 * error before any test runs: run the real script in a throw-away project whose only source file
 * does not typecheck, with this repository's TypeScript.
 */
const ROOT = resolve(import.meta.dirname, '..', '..');
/** the outer test runner marks its children; the probe's own runner must not think it is one */
const ENV: NodeJS.ProcessEnv = { ...process.env, CI: 'true' };
delete ENV.NODE_TEST_CONTEXT;

test('npm test stops on a type error before running any test', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mailtrace-ci-'));
  try {
    mkdirSync(join(dir, 'test'));
    mkdirSync(join(dir, 'src'));
    copyFileSync(join(ROOT, 'test', 'run.sh'), join(dir, 'test', 'run.sh'));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({
      name: 'ci-probe', private: true, type: 'module',
      scripts: { lint: 'tsc --noEmit -p .', build: 'node -e "process.exit(0)"' },
    }));
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: 'NodeNext', moduleResolution: 'NodeNext', types: [] }, include: ['src'] }));
    writeFileSync(join(dir, 'src', 'broken.ts'), 'export const n: number = "not a number";\n');
    // a test file that would pass: it must never run
    writeFileSync(join(dir, 'test', 'ok.test.ts'), 'import { test } from "node:test"; test("ran", () => { console.log("TEST-RAN"); });\n');
    const r = spawnSync('bash', [join(dir, 'test', 'run.sh')], { encoding: 'utf8', env: ENV, timeout: 120_000 });
    const out = `${r.stdout}${r.stderr}`;
    assert.notEqual(r.status, 0, out);
    assert.match(out, /TS2322/);
    assert.match(out, /typecheck or architecture lint failed/);
    assert.doesNotMatch(out, /TEST-RAN/);

    // and the same project without the error gets past the check
    writeFileSync(join(dir, 'src', 'broken.ts'), 'export const n: number = 1;\n');
    const ok = spawnSync('bash', [join(dir, 'test', 'run.sh')], { encoding: 'utf8', env: ENV, timeout: 120_000 });
    assert.match(`${ok.stdout}${ok.stderr}`, /TEST-RAN/);
    assert.equal(ok.status, 0, `${ok.stdout}${ok.stderr}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
