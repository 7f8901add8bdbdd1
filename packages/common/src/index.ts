export * from './types';
export * from './datum';
export * from './error';
export * from './interval';
export * from './decimal';
