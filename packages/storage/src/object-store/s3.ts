/**
 * An object store on S3 or anything speaking its API (MinIO, s3rver): `s3://bucket/prefix`,
 * with an optional endpoint, region and path-style addressing. Credentials come from the
 * SDK's default chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, …).
 *
 * Request checksums are computed and validated only when an operation requires them:
 * with the SDK's defaults, s3rver stores streamed uploads corrupted (DESIGN §6), and our
 * own objects carry a SHA-256 in the manifest anyway.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { S3Client } from '@aws-sdk/client-s3';
import type { ObjectStore } from './api';

/**
 * The AWS SDK, required when the first S3 object store is created: loading it costs ~125 ms
 * of CPU, which every `freshet start` paid although most use a local directory.
 */
let sdk: typeof import('@aws-sdk/client-s3') | undefined;
function awsS3(): typeof import('@aws-sdk/client-s3') {
  return (sdk ??= createRequire(import.meta.url)('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3'));
}

export interface S3Options {
  bucket: string;
  /** Key prefix inside the bucket ('' or ending with '/'). */
  prefix: string;
  endpoint?: string;
  region?: string;
  /** Path-style URLs (http://host/bucket/key), as MinIO and s3rver need. */
  forcePathStyle?: boolean;
}

export class S3ObjectStore implements ObjectStore {
  private readonly client: S3Client;
  private readonly sdk = awsS3();

  constructor(private readonly opts: S3Options) {
    this.client = new this.sdk.S3Client({
      endpoint: opts.endpoint,
      region: opts.region ?? process.env.AWS_REGION ?? 'us-east-1',
      forcePathStyle: opts.forcePathStyle ?? opts.endpoint !== undefined,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
    });
  }

  get description(): string {
    return `s3://${this.opts.bucket}/${this.opts.prefix}`;
  }

  async put(key: string, body: Buffer): Promise<void> {
    await this.client.send(new this.sdk.PutObjectCommand({ Bucket: this.opts.bucket, Key: this.opts.prefix + key, Body: body, ContentLength: body.length }));
  }

  async putFile(key: string, path: string): Promise<void> {
    // Read whole: the SDK needs a body of known length it can retry (a file stream is not one).
    await this.put(key, await readFile(path));
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      const r = await this.client.send(new this.sdk.GetObjectCommand({ Bucket: this.opts.bucket, Key: this.opts.prefix + key }));
      return Buffer.from(await r.Body!.transformToByteArray());
    } catch (e) {
      if (e instanceof this.sdk.NoSuchKey || (e as { name?: string }).name === 'NoSuchKey' || (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return null;
      throw e;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const out: string[] = [];
    let token: string | undefined;
    do {
      const r = await this.client.send(
        new this.sdk.ListObjectsV2Command({ Bucket: this.opts.bucket, Prefix: this.opts.prefix + prefix, ContinuationToken: token }),
      );
      for (const o of r.Contents ?? []) if (o.Key) out.push(o.Key.slice(this.opts.prefix.length));
      token = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (token);
    return out.sort();
  }

  async delete(keys: readonly string[]): Promise<void> {
    // One request per key: DeleteObjects needs a Content-MD5 that not every S3 clone accepts.
    for (const k of keys) await this.client.send(new this.sdk.DeleteObjectCommand({ Bucket: this.opts.bucket, Key: this.opts.prefix + k }));
  }

  close(): void {
    this.client.destroy();
  }
}

/** `s3://bucket/prefix` → bucket and prefix ('' or ending with '/'). */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m || m[1] === '') throw new Error(`invalid object store URL ${url} (expected s3://bucket/prefix)`);
  const prefix = m[2] === '' || m[2].endsWith('/') ? m[2] : `${m[2]}/`;
  return { bucket: m[1], prefix };
}
