// Moved to harness/ (shared by tests and benchmarks, which must not import each other).
export * from '../../harness/providerOf.js';
