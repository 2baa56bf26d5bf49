/**
 * The C2PA engine: c2pa-rs compiled to WebAssembly (@contentauth/c2pa-wasm),
 * compiled once per process on first use and shared by every call.
 *
 * Node lacks one browser API the engine's signing path uses: it reads its
 * source Blob with `FileReaderSync`. {@link BytesBlob} keeps its bytes in
 * memory (slices included) and the small `FileReaderSync` installed here
 * reads them back synchronously. Reading needs no shim (`fromBytes`).
 *
 * @internal
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { InputError } from 'provenant';

type Engine = typeof import('@contentauth/c2pa-wasm');

let loading: Promise<Engine> | undefined;

/** A Blob whose bytes (and those of its slices) can be read back synchronously. */
export class BytesBlob extends Blob {
  readonly data: Uint8Array;

  constructor(data: Uint8Array, type = '') {
    super([data as Uint8Array<ArrayBuffer>], { type });
    this.data = data;
  }

  override slice(start?: number, end?: number, contentType?: string): BytesBlob {
    return new BytesBlob(this.data.subarray(start ?? 0, end ?? this.data.length), contentType ?? '');
  }
}

/** The one method of FileReaderSync the engine calls, for {@link BytesBlob}s only. */
class BytesFileReaderSync {
  readAsArrayBuffer(blob: Blob): ArrayBuffer {
    if (!(blob instanceof BytesBlob)) throw new TypeError('FileReaderSync (provenant/c2pa) reads only the in-memory blobs provenant passes to the engine');
    const { data } = blob;
    return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
  }
}

function wasmPath(): string {
  // Resolved through the package's own exports map, from wherever this file was bundled.
  const require = createRequire(typeof __filename === 'string' ? __filename : import.meta.url);
  return require.resolve('@contentauth/c2pa-wasm/c2pa.wasm');
}

async function load(): Promise<Engine> {
  const globals = globalThis as { FileReaderSync?: unknown };
  // Only where the platform has none (Node); a browser worker keeps its own.
  if (globals.FileReaderSync === undefined) globals.FileReaderSync = BytesFileReaderSync;
  const [engine, bytes] = await Promise.all([import('@contentauth/c2pa-wasm'), readFile(wasmPath())]);
  // The WebAssembly global is not in this project's type libraries (no DOM lib).
  const { WebAssembly: wasm } = globalThis as unknown as { WebAssembly: { compile(bytes: Uint8Array): Promise<object> } };
  const module = await wasm.compile(bytes);
  engine.initSync({ module: module as Parameters<Engine['initSync']>[0] extends { module: infer M } ? M : never });
  return engine;
}

/**
 * The engine, compiled and instantiated on the first call; later calls
 * (and concurrent ones) share it.
 *
 * @returns the initialised @contentauth/c2pa-wasm module
 */
export function c2paEngine(): Promise<Engine> {
  loading ??= load().catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

/**
 * The engine's error name from what it threw (`C2pa(JumbfNotFound)` gives
 * `JumbfNotFound`), or the message for anything else.
 */
export function engineErrorName(err: unknown): string {
  const text = typeof err === 'string' ? err : err instanceof Error ? err.message : String(err);
  const match = /^C2pa\(([A-Za-z0-9_]+)/.exec(text);
  return match ? match[1]! : text;
}

/** The engine's error message, whatever it threw. */
export function engineErrorText(err: unknown): string {
  return typeof err === 'string' ? err : err instanceof Error ? err.message : String(err);
}

/**
 * Turn what the engine threw into a provenant error with a stable code.
 *
 * @param err what the engine threw (it throws strings such as `C2pa(InvalidAsset("..."))`)
 * @param mediaType the asset's media type, for messages
 * @param action `sign` or `read`
 */
export function engineError(err: unknown, mediaType: string, action: 'sign' | 'read'): InputError {
  const name = engineErrorName(err);
  const text = engineErrorText(err);
  const cause = err instanceof Error ? err : new Error(text);
  if (name === 'InvalidAsset' || name === 'IoError') {
    return new InputError('ERR_ASSET_MALFORMED', `the ${mediaType} data is truncated or corrupt (${text})`, { cause });
  }
  if (name === 'UnsupportedType') return new InputError('ERR_UNSUPPORTED_FORMAT', `the C2PA engine cannot ${action} ${mediaType} assets`, { cause });
  if (action === 'read') return new InputError('ERR_C2PA_UNREADABLE', `the C2PA manifest cannot be read: ${name} (${text})`, { cause });
  return new InputError('ERR_C2PA_ENGINE', `the C2PA engine failed to sign: ${text}`, { cause });
}

/** provenant's version, for the claim generator (from the package's own package.json). */
export function provenantVersion(): string {
  try {
    const require = createRequire(typeof __filename === 'string' ? __filename : import.meta.url);
    return (require('provenant/package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/**
 * Compile and instantiate the C2PA engine now rather than on the first
 * sign or read (a server can do this at start-up). Safe to call often: the
 * module is compiled once per process.
 *
 * @returns resolves once the engine is ready
 * @throws Error when the WebAssembly module cannot be found or compiled
 * @example
 * ```ts
 * await loadC2paEngine(); // ~100 ms, once
 * ```
 */
export async function loadC2paEngine(): Promise<void> {
  await c2paEngine();
}
