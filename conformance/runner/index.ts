export { parseFile, parseScript, compileRustRegex } from './parser';
export { runFile, runFiles, type RunOptions, type RunSummary, type FileResult, type RecordFailure, type ServerHandle } from './runner';
export { markdownReport, markdownTable, summaryTable, failureDetails, passRate } from './report';
export { expandGlob } from './glob';
export type { Record, Location, SortMode } from './records';
