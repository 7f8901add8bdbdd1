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
  stop(): Promise<void>;
}

export async function startS3rver(bucket = 'freshet'): Promise<S3TestServer> {
  const directory = mkdtempSync(join(tmpdir(), 'freshet-s3rver-'));
  const port = await freePort();
  const server = new S3rver({ address: '127.0.0.1', port, silent: true, directory, configureBuckets: [{ name: bucket, configs: [] }] });
  await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket,
    directory,
    env: { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' },
    async stop() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
