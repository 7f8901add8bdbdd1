export { ByteReader, ByteWriter } from './byte-writer';
export { type KeyOrder, decodeKey, encodeKey, encodeKeyString, writeKey, writeKeyColumn } from './key';
export { decodeDatumValue, decodeRow, encodeDatumValue, encodeRow, packRow, readDatum, unpackRow, writeDatum } from './value';
