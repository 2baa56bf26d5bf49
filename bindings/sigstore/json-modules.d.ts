// The public-good trusted root is bundled into the build (esbuild inlines the
// JSON); the library parses and validates it like any other trusted root, so
// its static type is deliberately `unknown`.
declare module '*/trusted_root.public-good.json' {
  const value: unknown;
  export default value;
}
