export { Op, OP_SIGN, isInsertOp, opName, parseOp } from './op';
export { Column, ColumnBuilder, Repr, numberArrayFor, reprOf, type ColumnValues, type NumberArray } from './column';
export { DataChunk, countVisible, rowOf, takeRows, visibleIndices } from './data-chunk';
export { StreamChunk } from './stream-chunk';
export { DEFAULT_CHUNK_SIZE, StreamChunkBuilder, buildColumns } from './builder';
export {
  dataChunkFromPretty,
  dataChunkToPretty,
  parseTypeLetter,
  streamChunkFromPretty,
  streamChunkToPretty,
  typeLetter,
} from './pretty';
