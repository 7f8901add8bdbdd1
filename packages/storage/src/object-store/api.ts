/**
 * Where checkpoints are uploaded: a flat key → bytes store (S3, MinIO, s3rver, or a local
 * directory). Keys are '/'-separated paths relative to the store's root (its prefix).
 */
export interface ObjectStore {
  /** For logs and errors: `s3://bucket/prefix` or the directory path. */
  readonly description: string;
  /** Writes an object whole (readers never see a partial object under its key). */
  put(key: string, body: Buffer): Promise<void>;
  /**
   * Writes the file at `path` as an object. The file does not change while this runs; a
   * store on the same file system may hard-link it rather than copy it.
   */
  putFile(key: string, path: string): Promise<void>;
  /** The object's bytes, or null if it does not exist. */
  get(key: string): Promise<Buffer | null>;
  /** Keys starting with `prefix`, in ascending order. */
  list(prefix: string): Promise<string[]>;
  /** Deletes objects (missing ones are ignored). */
  delete(keys: readonly string[]): Promise<void>;
}
