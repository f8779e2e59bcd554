/**
 * Messages for the header analyzer page test, newest Received header first as they stand in a
 * message. The Received shapes are the real ones of ../shared/reference/log-formats.md:
 *   §4.5  Postfix: `(using TLSv1.3 with cipher … (256/256 bits) key-exchange …)` and `with ESMTPS`;
 *         a plaintext local submission `with ESMTP id …` (kernel.org relay, verbatim)
 *   §5.2  Exchange: `with Microsoft SMTP Server (version=TLS1_2, cipher=…) id 15.20.…`, folded
 *         inside the parentheses, and `with Microsoft SMTP Server (TLS) id 15.0.…`
 *   §5.4  qmail: `(qmail 90138 invoked from network)`, a comment that names no receiving server
 * Hosts past the kernel.org hop are example names. The oldest hop is dated 02:49:09; the
 * Exchange hop to EXCH02 is dated 02:49:06, 10 s before the hop before it: clock skew (§5.5).
 * One value carries markup, to show that the page prints what it is given as text.
 *   §6.4  Authentication-Results (kernel.org, verbatim) and Exchange Online's without authserv-id
 */
export const HEADERS = [
  'X-MS-Exchange-Authentication-Results: spf=pass (sender IP is 165.204.84.17)',
  ' smtp.mailfrom=amd.com; dkim=none (message not signed)',
  ' header.d=none;dmarc=pass action=none header.from=amd.com;',
  'Authentication-Results: smtp.subspace.kernel.org; dmarc=pass (p=none dis=none) header.from=wismer.xyz',
  'Received: from EXCH01.corp.example.net (10.0.0.5) by EXCH02.corp.example.net',
  ' (10.0.0.6) with Microsoft SMTP Server (TLS) id 15.0.1497.2; Tue, 19 Mar 2024',
  ' 02:49:06 +0000',
  'Received: from mx.example.net (192.0.2.25) by EXCH01.corp.example.net',
  ' (10.0.0.5) with Microsoft SMTP Server (version=TLS1_2,',
  ' cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.20.8901.19; Tue, 19 Mar',
  ' 2024 02:49:16 +0000',
  'Received: (qmail 90138 invoked from network); 19 Mar 2024 02:49:11 -0000',
  'Received: from smtp.subspace.kernel.org (wormhole.subspace.kernel.org [52.25.139.140])',
  '\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)',
  '\t key-exchange X25519 server-signature RSA-PSS (2048 bits) server-digest SHA256)',
  '\t(No client certificate requested)',
  '\tby mx.example.net (Postfix) with ESMTPS id 4VzKp2Lq7Tz9',
  '\tfor <alice@example.net>; Tue, 19 Mar 2024 02:49:12 +0000 (UTC)',
  'Received: from <img src=x onerror="document.title=\'pwned\'">; Tue, 19 Mar 2024 02:49:10 +0000',
  'Received: from localhost.localdomain (localhost.localdomain [127.0.0.1])',
  '\tby smtp.subspace.kernel.org (Postfix) with ESMTP id 1C8A87F7D7;',
  '\tTue, 19 Mar 2024 02:49:09 +0000 (UTC)',
  'Message-ID: <20240319024909.1C8A87F7D7@smtp.subspace.kernel.org>',
  'From: Someone <someone@example.org>',
  'To: alice@example.net',
  'Subject: header analyzer test',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=us-ascii',
].join('\n');

/**
 * A clear-signed S/MIME message (log-formats §6.1): multipart/signed with
 * protocol="application/pkcs7-signature" and a smime.p7s part. The signature bytes are not a
 * real signature: the page shows what the MIME structure claims (real S/MIME is tested in
 * test/ingest/formats/headers/protection.test.ts). CRLF line ends, as a saved .eml has them.
 */
export const SIGNED_EML = [
  'Received: from laptop.example.org (laptop.example.org [192.0.2.44])',
  '\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits))',
  '\t(No client certificate requested)',
  '\tby mail.example.org (Postfix) with ESMTPSA id 4A1B2C3D4E',
  '\tfor <bob@example.net>; Wed, 20 Mar 2024 09:15:02 +0000 (UTC)',
  'From: Alice <alice@example.org>',
  'To: bob@example.net',
  'Subject: signed',
  'Message-ID: <signed-1@example.org>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256;',
  '\tboundary="----=_Part_0_signed"',
  '',
  'This is an S/MIME signed message',
  '',
  '------=_Part_0_signed',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Hello Bob.',
  '------=_Part_0_signed',
  'Content-Type: application/pkcs7-signature; name="smime.p7s"',
  'Content-Transfer-Encoding: base64',
  'Content-Disposition: attachment; filename="smime.p7s"',
  '',
  'MIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0BBwEAAA==',
  '------=_Part_0_signed--',
  '',
].join('\r\n');

/** An S/MIME encrypted message (§6.1: pkcs7-mime, smime-type=enveloped-data), no Received header. */
export const SEALED_EML = [
  'From: Alice <alice@example.org>',
  'To: bob@example.net',
  'Subject: sealed',
  'Message-ID: <sealed-1@example.org>',
  'MIME-Version: 1.0',
  'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"',
  'Content-Transfer-Encoding: base64',
  'Content-Disposition: attachment; filename="smime.p7m"',
  '',
  'MIAGCSqGSIb3DQEHA6CAMIACAQAxggEwMIIBLAIBADAUMAAAAAAAAAAAAAAAAAAAAAAAAA==',
  '',
].join('\r\n');
