// provenant/c2pa: C2PA content credentials for generated images and text.
// Importing this subpath loads the C2PA engine (c2pa-rs compiled to
// WebAssembly) on first use; the core (`provenant`) never does.
export { signImage } from './sign-image.js';
export type { SignImageOptions, SignedImage } from './sign-image.js';
export { readCredentials } from './read.js';
export type {
  ReadCredentialsOptions,
  C2paCredentials,
  NoC2paCredentials,
  C2paValidationState,
  C2paStatus,
  C2paAction,
  C2paManifest,
  ReadOutput,
} from './read.js';
export type { SigningOptions } from './signing.js';
export type { TrustOptions, PemInput } from './settings.js';
export {
  createDevCertificates,
  checkSigningChain,
  parseCertificates,
  CERTIFICATE_ALGORITHMS,
  C2PA_SIGNING_EKUS,
  C2PA_TRUST_CONFIG,
} from './certificate.js';
export type { CertificateAlgorithm, DevCertificates, DevCertificateOptions } from './certificate.js';
export { C2PA_MEDIA_TYPES, sniffMediaType, mediaTypeOfPath, normalizeMediaType } from './formats.js';
export type { C2paMediaType } from './formats.js';
export { TRAINED_ALGORITHMIC_MEDIA, COMPOSITE_WITH_TRAINED_ALGORITHMIC_MEDIA } from './manifest.js';
export type { TrainingMining, TrainingMiningUse, Watermark, ManifestOptions, ModelAgent } from './manifest.js';
export { OUTPUT_ASSERTION_LABEL, outputCredential } from './output-assertion.js';
export type { OutputCredential, ReadOutputCredential, ReceiptInput } from './output-assertion.js';
export { loadC2paEngine } from './engine.js';
export { signText, readText, TEXT_MEDIA_TYPE } from './text.js';
export type { SignTextOptions, SignedText } from './text.js';
