// env.mjs — where the package is running. One definition, imported by every module that has a
// Node path and a browser path (file reading, worker_threads vs Worker, fetch vs fs).
export const isNode = typeof process === 'object' && !!(process.versions && process.versions.node);
