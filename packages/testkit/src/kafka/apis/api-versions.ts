import { SUPPORTED_VERSIONS, ErrorCode } from '../protocol/constants';
import type { Reader } from '../protocol/reader';
import type { Writer } from '../protocol/writer';
import type { RequestContext } from './context';

/** ApiVersions v0–v3 (v3 is flexible in its body; its response header is always v0). */
export function handleApiVersions(ctx: RequestContext, r: Reader, w: Writer): void {
  const v = ctx.version;
  if (v >= 3) {
    r.compactString(); // client_software_name
    r.compactString(); // client_software_version
    r.taggedFields();
  }
  writeApiVersions(w, v, ErrorCode.NONE);
}

export function writeApiVersions(w: Writer, v: number, error: number): void {
  const entries = [...SUPPORTED_VERSIONS.entries()];
  w.int16(error);
  const entry = (wr: Writer, [key, [min, max]]: [number, readonly [number, number]]) => {
    wr.int16(key).int16(min).int16(max);
    if (v >= 3) wr.emptyTaggedFields();
  };
  if (v >= 3) w.compactArray(entries, entry);
  else w.array(entries, entry);
  if (v >= 1) w.int32(0); // throttle_time_ms
  if (v >= 3) w.emptyTaggedFields();
}
