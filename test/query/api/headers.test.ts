import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeHeaders } from '../../../ingest/index.ts';
import { buildApp } from '../../../query/index.ts';
import { HeaderAnalysis } from '../../../schemas/index.ts';
import type { Store } from '../../../store/index.ts';

/**
 * POST /api/headers/analyze: pasted headers → the hops the Received chain claims (nothing stored).
 * The headers are the Postfix shapes of log-formats §4.5 (real kernel.org relays), newest first
 * as they stand in a message, with a qmail comment line that is no hop.
 */
const HEADERS = [
  'Return-Path: <someone@example.org>',
  'Received: from smtp.subspace.kernel.org (wormhole.subspace.kernel.org [52.25.139.140])',
  '\t(using TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits))',
  '\t(No client certificate requested)',
  '\tby sy.mirrors.kernel.org (Postfix) with ESMTPS id 25F7CB21EA4',
  '\tfor <lists+linux-kernel@lfdr.de>; Tue, 19 Mar 2024 02:52:29 +0000 (UTC)',
  'Received: (qmail 90138 invoked from network); 19 Mar 2024 02:50:00 -0000',
  'Received: from localhost.localdomain (localhost.localdomain [127.0.0.1])',
  '\tby smtp.subspace.kernel.org (Postfix) with ESMTP id 1C8A87F7D7;',
  '\tTue, 19 Mar 2024 02:49:09 +0000 (UTC)',
  'Message-ID: <20240319024909.1C8A87F7D7@smtp.subspace.kernel.org>',
  'Subject: test',
  '',
  'body text that is not looked at',
].join('\n');

test('pasted headers give the chain oldest first with TLS, ids, delays; a comment-only Received is no hop', async () => {
  const a = HeaderAnalysis.parse(await analyzeHeaders(HEADERS));
  assert.equal(a.messageId, '<20240319024909.1C8A87F7D7@smtp.subspace.kernel.org>');
  assert.deepEqual(a.hops.map((h) => [h.by, h.id, h.tls, h.tlsVersion, h.delay]), [
    ['smtp.subspace.kernel.org', '1C8A87F7D7', 'plaintext', '', null],
    ['sy.mirrors.kernel.org', '25F7CB21EA4', 'encrypted', 'TLSv1.2', 200],
  ]);
  assert.equal(a.rejected.length, 1);
  assert.deepEqual({ ...a.protection, evidence: '' }, { mechanisms: [], endToEnd: false, evidence: '', known: true });
});

test('the route takes text/plain or JSON, stores nothing, and refuses what is neither', async () => {
  const app = await buildApp({ store: {} as Store, analyzeHeaders });
  try {
    const plain = await app.inject({ method: 'POST', url: '/api/headers/analyze', payload: HEADERS, headers: { 'content-type': 'text/plain' } });
    assert.equal(plain.statusCode, 200, plain.body);
    assert.equal(HeaderAnalysis.parse(plain.json()).hops.length, 2);
    const json = await app.inject({ method: 'POST', url: '/api/headers/analyze', payload: { headers: HEADERS } });
    assert.deepEqual(json.json(), plain.json());
    const bad = await app.inject({ method: 'POST', url: '/api/headers/analyze', payload: { paths: ['/etc/passwd'] } });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'MT_ERR_BAD_INPUT');
  } finally {
    await app.close();
  }
});
