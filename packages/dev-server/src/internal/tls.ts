import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';

/** A certificate authority and a server certificate for loopback, generated at start. */
export interface DevCertificates {
  key: string;
  cert: string;
  ca: string;
  /** PEM file of the CA certificate, for `NODE_EXTRA_CA_CERTS`. */
  caFile: string;
  /** Removes the folder this call created for `caFile` (and nothing else). */
  remove(): Promise<void>;
}

/** Generates a throw-away CA and a `localhost`/`127.0.0.1`/`::1` server certificate signed by it. */
export async function generateDevCertificates(host: string): Promise<DevCertificates> {
  const notAfterDate = new Date(Date.now() + 30 * 24 * 3600 * 1000);
  const ca = await generate([{ name: 'commonName', value: 'AgentGate dev server CA' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const altNames: { type: 2 | 7; value?: string; ip?: string }[] = [
    { type: 2, value: 'localhost' },
    { type: 7, ip: '127.0.0.1' },
    { type: 7, ip: '::1' },
  ];
  if (/^[\d.]+$/.test(host) && host !== '127.0.0.1') altNames.push({ type: 7, ip: host });
  else if (!/^[\d.:]+$/.test(host) && host !== 'localhost') altNames.push({ type: 2, value: host });
  const server = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames },
    ],
  });
  const directory = await mkdtemp(join(tmpdir(), 'agentgate-dev-'));
  const caFile = join(directory, 'ca.pem');
  await writeFile(caFile, ca.cert, { mode: 0o644 });
  return {
    key: server.private,
    cert: server.cert,
    ca: ca.cert,
    caFile,
    remove: () => rm(directory, { recursive: true, force: true }),
  };
}
