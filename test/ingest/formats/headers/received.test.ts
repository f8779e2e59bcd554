import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeTlsVersion, parseReceived, receivedChain, receivedDate, type ReceivedHop } from '../../../../ingest/formats/headers/received.ts';

/**
 * Received headers in the shapes real servers write. Golden cases are quoted from
 * ../shared/reference/log-formats.md: §4.5 (Postfix, from the Postfix source and real headers of
 * the kernel.org and seeweb.it relays), §5.2 (Exchange / Exchange Online, real list archives),
 * §5.3 (Google, real), §5.4 (Sendmail, Exim, amavis, pickup, qmail, IronPort).
 */
function hop(v: string): ReceivedHop {
  const h = parseReceived(v);
  assert.ok(!('error' in h), `${v}: ${'error' in h ? h.error : ''}`);
  return h;
}

test('Postfix (§4.5): TLS version and cipher from "using", the queue id, the client, the date; ESMTP without S is plaintext', () => {
  const h = hop(`Received: from smtp.subspace.kernel.org (wormhole.subspace.kernel.org [52.25.139.140])
	(using TLSv1.2 with cipher ECDHE-RSA-AES256-GCM-SHA384 (256/256 bits))
	(No client certificate requested)
	by sy.mirrors.kernel.org (Postfix) with ESMTPS id 25F7CB21EA4
	for <lists+linux-kernel@lfdr.de>; Tue, 19 Mar 2024 02:52:29 +0000 (UTC)`);
  assert.deepEqual({ from: h.from, fromName: h.fromName, fromIp: h.fromIp, by: h.by, with: h.with, id: h.id, for: h.for }, {
    from: 'smtp.subspace.kernel.org', fromName: 'wormhole.subspace.kernel.org', fromIp: '52.25.139.140', by: 'sy.mirrors.kernel.org', with: 'ESMTPS', id: '25F7CB21EA4', for: 'lists+linux-kernel@lfdr.de',
  });
  assert.deepEqual([h.tls, h.tlsVersion, h.cipher, h.tlsEvidence], ['encrypted', 'TLSv1.2', 'ECDHE-RSA-AES256-GCM-SHA384', 'header-postfix-using']);
  assert.equal(h.date, '2024-03-19T02:52:29.000Z');

  const plain = hop(`Received: from localhost.localdomain (localhost.localdomain [127.0.0.1])
	by smtp.subspace.kernel.org (Postfix) with ESMTP id 1C8A87F7D7;
	Tue, 19 Mar 2024 02:49:09 +0000 (UTC)`);
  assert.deepEqual([plain.tls, plain.tlsEvidence, plain.id], ['plaintext', 'header-postfix-protocol', '1C8A87F7D7']);

  const folded = hop(`Received: from SoMainline.org (94-211-6-86.cable.dynamic.v4.ziggo.nl
 [94.211.6.86])
 (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)
 key-exchange ECDHE (P-256) server-signature RSA-PSS (2048 bits) server-digest
 SHA256) (No client certificate requested)
 by m-r1.th.seeweb.it (Postfix) with ESMTPSA id 40D971F533;
 Sun,  6 Aug 2023 20:04:36 +0200 (CEST)`);
  assert.deepEqual([folded.fromIp, folded.tlsVersion, folded.with, folded.date], ['94.211.6.86', 'TLSv1.3', 'ESMTPSA', '2023-08-06T18:04:36.000Z']);
});

test('Exchange (§5.2): version and cipher, (TLS) alone, no TLS on the server line, mapi is no SMTP; dates wrapped mid-line', () => {
  const a = hop(`Received: from localhost (10.202.227.76) by lhrpeml500005.china.huawei.com
 (7.191.163.240) with Microsoft SMTP Server (version=TLS1_2,
 cipher=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) id 15.1.2507.31; Tue, 3 Oct
 2023 17:17:43 +0100`);
  assert.deepEqual([a.from, a.fromIp, a.by, a.byIp, a.with, a.tls, a.tlsVersion, a.cipher, a.date], ['localhost', '10.202.227.76', 'lhrpeml500005.china.huawei.com', '7.191.163.240', 'Microsoft SMTP Server', 'encrypted', 'TLSv1.2', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', '2023-10-03T16:17:43.000Z']);
  const b = hop(`Received: from DB1PEPF000509EA.eurprd03.prod.outlook.com
 (2603:10a6:10:4b7:cafe::f) by DUZPR01CA0301.outlook.office365.com
 (2603:10a6:10:4b7::18) with Microsoft SMTP Server (version=TLS1_3,
 cipher=TLS_AES_256_GCM_SHA384) id 15.20.8901.19 via Frontend Transport; Tue,
 1 Jul 2025 04:40:07 +0000`);
  assert.deepEqual([b.fromIp, b.tlsVersion, b.via, b.date], ['2603:10a6:10:4b7:cafe::f', 'TLSv1.3', 'Frontend Transport', '2025-07-01T04:40:07.000Z']);
  const c = hop(`Received: from HQMAIL101.nvidia.com (172.20.187.10) by HQMAIL111.nvidia.com
 (172.20.187.18) with Microsoft SMTP Server (TLS) id 15.0.1497.2; Thu, 26 Aug
 2021 10:40:34 +0000`);
  assert.deepEqual([c.tls, c.tlsVersion, c.tlsEvidence], ['encrypted', '', 'header-microsoft']);
  const d = hop(`Received: from vdi.nvidia.com (172.20.187.6) by mail.nvidia.com
 (172.20.187.10) with Microsoft SMTP Server id 15.0.1497.2 via Frontend
 Transport; Thu, 26 Aug 2021 10:40:30 +0000`);
  assert.deepEqual([d.tls, d.tlsEvidence], ['plaintext', 'header-microsoft-no-tls']);
  const e = hop(`Received: from TYZPR01MB5556.apcprd01.prod.exchangelabs.com
 ([fe80::a639:b02c:5189:7140]) by TYZPR01MB5556.apcprd01.prod.exchangelabs.com
 ([fe80::a639:b02c:5189:7140%7]) with mapi id 15.20.7202.031; Tue, 23 Jan 2024
 15:59:15 +0000`);
  assert.deepEqual([e.with, e.tls, e.fromIp, e.byIp], ['mapi', 'unknown', 'fe80::a639:b02c:5189:7140', 'fe80::a639:b02c:5189:7140%7']);
});

test('Google (§5.3), Sendmail and Exim (§5.4): version=, Google Transport Security, esmtps (TLS1.3) tls …', () => {
  const g = hop(`Received: from mga07.intel.com (mga07.intel.com. [134.134.136.100])
        by mx.google.com with ESMTPS id n9si146219pll.307.2017.09.27.16.56.22
        for <linux-mm@kvack.org>
        (version=TLS1_2 cipher=ECDHE-RSA-AES128-GCM-SHA256 bits=128/128);
        Wed, 27 Sep 2017 16:56:23 -0700 (PDT)`);
  assert.deepEqual([g.fromName, g.fromIp, g.tlsVersion, g.cipher, g.for, g.date], ['mga07.intel.com', '134.134.136.100', 'TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256', 'linux-mm@kvack.org', '2017-09-27T23:56:23.000Z']);
  const gts = hop(`Received: from mail-sor-f65.google.com (mail-sor-f65.google.com. [209.85.220.65])
        by mx.google.com with SMTPS id y1-v6sor9914324wro.29.2018.06.06.23.59.42
        for <linux-mm@kvack.org>
        (Google Transport Security);
        Wed, 06 Jun 2018 23:59:42 -0700 (PDT)`);
  assert.deepEqual([gts.tls, gts.tlsEvidence], ['encrypted', 'header-google-transport-security']);
  const sm = hop('Received: from relay.example (relay.example [192.0.2.1]) by mx.example (8.15.2/8.15.2) with ESMTPS id 3A1B2C3D (version=TLSv1.2 cipher=ECDHE-RSA-AES256-GCM-SHA384 bits=256 verify=NOT); Mon, 1 Jul 2024 10:00:00 +0000');
  assert.deepEqual([sm.tlsVersion, sm.cipher, sm.id], ['TLSv1.2', 'ECDHE-RSA-AES256-GCM-SHA384', '3A1B2C3D']);
  const ex = hop('Received: from host.example ([198.51.100.7]) by mx.example with esmtps  (TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.97) id 1rABCD-000123-4x; Mon, 01 Jul 2024 10:00:00 +0000');
  assert.deepEqual([ex.tls, ex.tlsVersion, ex.cipher, ex.tlsEvidence], ['encrypted', 'TLSv1.3', 'TLS_AES_256_GCM_SHA384', 'header-exim']);
  const ex2 = hop('Received: from host.example ([198.51.100.7]) by mx.example with esmtps (TLSv1.3:TLS_AES_256_GCM_SHA384:256) (Exim 4.94) id 1rABCD-000123-4x; Mon, 01 Jul 2024 10:00:00 +0000');
  assert.deepEqual([ex2.tlsVersion, ex2.cipher], ['TLSv1.3', 'TLS_AES_256_GCM_SHA384']);
});

test('no evidence, no verdict; no "by", no hop; pickup and amavis lines are hops without TLS claims', () => {
  // IronPort writes ESMTP with no TLS marker of its own: unknown, not plaintext (§5.1 caveat)
  const iron = hop('Received: from linux.intel.com ([10.54.29.200]) by FMSMGA003.fm.intel.com with ESMTP; 17 Apr 2023 06:58:38 -0700');
  assert.deepEqual([iron.tls, iron.fromIp, iron.date], ['unknown', '10.54.29.200', '2023-04-17T13:58:38.000Z']);
  const amavis = hop('Received: by localhost (elaine.keithp.com [127.0.0.1]) (amavisd-new, port 10024) with LMTP id YENfxiy2KoPi; Mon,  7 Oct 2019 11:16:33 -0700 (PDT)');
  assert.deepEqual([amavis.from, amavis.by, amavis.with, amavis.tls], ['', 'localhost', 'LMTP', 'unknown']);
  const pickup = hop('Received: by alrua-x1.borgediget.toke.dk (Postfix, from userid 1000) id 7FDD31801A3; Sat, 27 Mar 2021 16:17:16 +0100 (CET)');
  assert.deepEqual([pickup.by, pickup.id, pickup.tls, pickup.date], ['alrua-x1.borgediget.toke.dk', '7FDD31801A3', 'unknown', '2021-03-27T15:17:16.000Z']);
  for (const bad of ['Received: (qmail 90138 invoked from network); 21 Nov 2023 10:00:00 -0000', 'Received: ', 'Received: (comment only)', 'Received: from somewhere']) {
    const r = parseReceived(bad);
    assert.ok('error' in r, `${bad} is no hop`);
  }
});

test('dates: RFC 5322 forms with numeric and named zones; impossible or missing dates are none', () => {
  assert.equal(receivedDate(' Wed, 06 Jun 2018 23:59:42 -0700 (PDT)'), '2018-06-07T06:59:42.000Z');
  assert.equal(receivedDate(' 1 Jul 2025 04:40:07 GMT'), '2025-07-01T04:40:07.000Z');
  assert.equal(receivedDate(' Mon, 7 Oct 2019 11:16:33 PDT'), '2019-10-07T18:16:33.000Z');
  assert.equal(receivedDate(' 30 Feb 2024 10:00:00 +0000'), '');
  assert.equal(receivedDate(' 1 Foo 2024 10:00:00 +0000'), '');
  assert.equal(receivedDate(' yesterday'), '');
  assert.deepEqual(['TLS1_0', 'TLS1_3', 'TLS1.2', 'TLSv1', 'TLSv1/SSLv3', 'TLSv1.3', 'SSLv3'].map(normalizeTlsVersion), ['TLSv1.0', 'TLSv1.3', 'TLSv1.2', 'TLSv1.0', 'TLSv1.0', 'TLSv1.3', 'SSLv3']);
});

test('a chain is read oldest first with per-hop delays; a hop dated before the one before it is flagged as clock skew', () => {
  const { hops, rejected } = receivedChain([
    'Received: from hub.example (hub.example [10.0.0.2]) by mbx.example (Postfix) with ESMTPS id C3 (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)); Mon, 1 Jul 2024 10:00:05 +0000',
    'Received: (qmail 1 invoked from network); 1 Jul 2024 10:00:03 -0000',
    'Received: from edge.example (edge.example [10.0.0.1]) by hub.example (Postfix) with ESMTP id B2; Mon, 1 Jul 2024 10:00:07 +0000',
    'Received: from client.example (client.example [192.0.2.10]) by edge.example (Postfix) with ESMTPS id A1 (using TLSv1.2 with cipher ECDHE-RSA-AES128-GCM-SHA256 (128/128 bits)); Mon, 1 Jul 2024 10:00:00 +0000',
  ]);
  assert.deepEqual(hops.map((h) => [h.by, h.id, h.tls, h.delay, h.skew]), [
    ['edge.example', 'A1', 'encrypted', null, false],
    ['hub.example', 'B2', 'plaintext', 7, false],
    ['mbx.example', 'C3', 'encrypted', -2, true],
  ]);
  assert.equal(rejected.length, 1);
  assert.match(rejected[0].error, /no "by" clause/);
});
