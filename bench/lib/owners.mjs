/**
 * Whose code a JavaScript function is, by its file ("dist/...", "node:...", a path under
 * node_modules): the server's own, Nest's, rxjs's, ws's, Node's, or other JavaScript.
 */
export function ownerOf(where) {
  if (/^dist\/|baseline-server\.mjs/.test(where)) return "the server's own";
  if (where.includes('@nestjs/')) return 'Nest';
  if (where.includes('/rxjs/')) return 'rxjs';
  if (where.includes('/ws/lib/')) return 'ws';
  if (where.startsWith('node:')) return 'Node';
  return 'other JavaScript';
}

/**
 * A file's path from the project's root: "dist/...", "node_modules/ws/lib/...", "bench/...";
 * Node's own ("node:...") unchanged. Only the first such directory counts: rxjs's files are in
 * "node_modules/rxjs/dist/", not in the project's "dist/".
 */
export function shortPath(path) {
  return path
    .replace(/^file:\/\//, '')
    .replace(/^.*?\/(?=(?:node_modules|dist|bench)\/)/, '');
}
