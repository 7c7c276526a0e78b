// Moved to harness/lab/ (the network lab is shared by tests and bench:network, which must not import each other).
export * from '../../harness/lab/services.js';
