// Types of c2pa-images.mjs (plain JS so the benchmark can import it too).

/** A deterministic RGB picture: width * height * 3 bytes. */
export function gradient(width: number, height: number, seed?: number): Uint8Array;
/** A PNG (8-bit RGB). */
export function makePng(width?: number, height?: number, seed?: number): Uint8Array;
/** A baseline JPEG (JFIF, YCbCr 4:4:4). */
export function makeJpeg(width?: number, height?: number, seed?: number, quality?: number): Uint8Array;
/** A lossless WebP of one ARGB colour. */
export function makeWebp(width?: number, height?: number, argb?: number): Uint8Array;
/** A 1x1 GIF89a. */
export function makeGif(): Uint8Array;
/** A WAV file: 16-bit mono PCM. */
export function makeWav(samples?: number, rate?: number): Uint8Array;
