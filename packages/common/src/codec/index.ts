export { BufferPool, bufferPool } from './buffer-pool';
export { ByteReader, ByteWriter } from './byte-writer';
export { type KeyOrder, concatKeys, decodeKey, encodeKey, encodeKeyString, encodeKeyStringAfter, keyPrefixLength, writeKey, writeKeyColumn } from './key';
export { decodeDatumValue, decodeRow, encodeDatumValue, encodeRow, packRow, readDatum, readRow, unpackRow, writeDatum, writeRow } from './value';
