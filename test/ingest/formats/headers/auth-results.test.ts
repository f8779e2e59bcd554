import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeHeaders } from '../../../../ingest/formats/headers/analyze.ts';
import { authClaims } from '../../../../ingest/formats/headers/auth-results.ts';

/** Real header values quoted in log-formats §6.4 (Google, kernel.org, Exchange Online, an Exim site). */
test('Authentication-Results and ARC results become claims per method, authserv-id or not', () => {
  const arc = authClaims('ARC-Authentication-Results', 'i=1; mx.google.com; dkim=pass header.i=@gmail.com header.s=20161025 header.b=EOkHN4OY; spf=pass (google.com: domain of minchan.kim@gmail.com designates 209.85.220.65 as permitted sender) smtp.mailfrom=minchan.kim@gmail.com; dmarc=fail (p=NONE sp=NONE dis=NONE) header.from=kernel.org');
  assert.deepEqual(arc.map((c) => [c.instance, c.authserv, c.method, c.result]), [[1, 'mx.google.com', 'dkim', 'pass'], [1, 'mx.google.com', 'spf', 'pass'], [1, 'mx.google.com', 'dmarc', 'fail']]);
  // the `;` inside the SPF comment does not split it
  assert.match(arc[1].detail, /smtp\.mailfrom=minchan\.kim@gmail\.com$/);
  const exo = authClaims('X-MS-Exchange-Authentication-Results', 'spf=pass (sender IP is 165.204.84.17) smtp.mailfrom=amd.com; dkim=none (message not signed) header.d=none;dmarc=pass action=none header.from=amd.com;');
  assert.deepEqual(exo.map((c) => [c.authserv, c.method, c.result]), [['', 'spf', 'pass'], ['', 'dkim', 'none'], ['', 'dmarc', 'pass']]);
  const ms = authClaims('ARC-Authentication-Results', 'i=1; mx.microsoft.com 1; spf=pass smtp.mailfrom=hotmail.de; dmarc=pass action=none header.from=hotmail.de; dkim=pass header.d=hotmail.de; arc=none');
  assert.deepEqual(ms.map((c) => `${c.authserv} ${c.method}=${c.result}`), ['mx.microsoft.com spf=pass', 'mx.microsoft.com dmarc=pass', 'mx.microsoft.com dkim=pass', 'mx.microsoft.com arc=none']);
  assert.deepEqual(authClaims('Authentication-Results', 'gosford.compton.nu; iprev=pass (bericote.compton.nu) smtp.remote-ip=2001:8b0:bd:1:1881:14ff:fe46:3cc7').map((c) => c.method), ['iprev']);
  assert.deepEqual(authClaims('Authentication-Results', 'example.org; none'), []);
});

test('the header analyzer lists the claims beside the hops', async () => {
  const a = await analyzeHeaders('Authentication-Results: smtp.subspace.kernel.org; dmarc=pass (p=none dis=none) header.from=wismer.xyz\nReceived: from a.example by b.example (Postfix) with ESMTPS id X; Mon, 30 Nov 2026 10:00:00 +0000\nMessage-ID: <a@b>\n\n');
  assert.deepEqual(a.authentication.map((c) => [c.header, c.authserv, c.method, c.result]), [['Authentication-Results', 'smtp.subspace.kernel.org', 'dmarc', 'pass']]);
  assert.equal(a.hops.length, 1);
});
