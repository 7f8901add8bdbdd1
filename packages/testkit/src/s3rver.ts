/**
 * s3rver (an S3-compatible server from npm) on a free loopback port, for object-store
 * tests: one bucket, its files under a temp dir, and the endpoint and credentials a client
 * (or `freshet start --object-store s3://…`) needs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { freePort } from './ports';

export interface S3TestServer {
  readonly endpoint: string;
  readonly bucket: string;
  /** The directory s3rver keeps the bucket's objects in (tests corrupt them here). */
  readonly directory: string;
  /** AWS_* variables for a client of this server. */
  readonly env: Record<string, string>;
  /** Options for an `@aws-sdk/client-s3` S3Client of this server (`new S3Client(s3.clientConfig)`). */
  readonly clientConfig: S3TestClientConfig;
  /** An outage: stops listening, keeping every object (`resume()` brings it back). */
  halt(): Promise<void>;
  /** Listens again on the same port, over the same objects. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

/** The S3Client options s3rver needs: path-style URLs, its fixed keys, no default checksums. */
export interface S3TestClientConfig {
  readonly endpoint: string;
  readonly region: 'us-east-1';
  readonly forcePathStyle: true;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly requestChecksumCalculation: 'WHEN_REQUIRED';
  readonly responseChecksumValidation: 'WHEN_REQUIRED';
}

export async function startS3rver(bucket = 'freshet'): Promise<S3TestServer> {
  const directory = mkdtempSync(join(tmpdir(), 'freshet-s3rver-'));
  const port = await freePort();
  let server: S3rver | null = new S3rver({ address: '127.0.0.1', port, silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
  await server.run();
  const halt = async () => {
    const s = server;
    server = null;
    await s?.close();
  };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    directory,
    env: { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' },
    clientConfig: {
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    },
    halt,
    async resume() {
      if (server) return;
      // The bucket already exists in `directory`; s3rver serves what it finds there.
      server = new S3rver({ address: '127.0.0.1', port, silent: true, directory });
      await server.run();
    },
    async stop() {
      await halt();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
