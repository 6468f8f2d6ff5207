export * from './generate-key.ts';
export * from './jwk.ts';
export * from './key-file.ts';
export * from './public-key-text.ts';
