// node:url for the bench's engine modules in a browser page (bench/browser): "file paths" are
// paths on the bench server.
export const fileURLToPath = (u) => decodeURIComponent(new URL(String(u)).pathname);
export const pathToFileURL = (p) => new URL(String(p), location.origin);
export default { fileURLToPath, pathToFileURL };
