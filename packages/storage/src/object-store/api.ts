/**
 * Where checkpoints are uploaded: a flat key → bytes store (S3, MinIO, s3rver, or a local
 * directory). Keys are '/'-separated paths relative to the store's root (its prefix).
 */
export interface ObjectStore {
  /** For logs and errors: `s3://bucket/prefix` or the directory path. */
  readonly description: string;
  /**
   * Writes an object whole (readers never see a partial object under its key). The body may
   * come in parts, written back to back: an upload is many journaled batches, and joining
   * them into one buffer first was a copy of every byte on the engine's thread.
   */
  put(key: string, body: Buffer | readonly Buffer[]): Promise<void>;
  /** The object's bytes, or null if it does not exist. */
  get(key: string): Promise<Buffer | null>;
  /** Keys starting with `prefix`, in ascending order. */
  list(prefix: string): Promise<string[]>;
  /** Deletes objects (missing ones are ignored). */
  delete(keys: readonly string[]): Promise<void>;
}
