export * from './server';
export * from './logger';
