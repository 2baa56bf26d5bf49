#!/usr/bin/python3
"""DSSE interop with Python securesystemslib (Debian's 0.26, which has no DSSE
module): this script computes the DSSE PAE itself and leaves key handling and
signing/verification to securesystemslib.

Run with the system interpreter (/usr/bin/python3). One JSON request on stdin,
one JSON answer on stdout:

  {"op": "verify", "envelope": {...}, "keys": [{"pem": "...", "scheme": "ed25519" |
   "ecdsa-sha2-nistp256" | "ecdsa-sha2-nistp384"}]}
    -> {"payloadType", "payload" (base64), "pae" (base64), "keyids": [sslib keyid per key],
        "signatures": [index of the key that verified each signature, or null]}

  {"op": "sign", "payloadType": "...", "payload": base64, "schemes": ["ed25519", ...]}
    -> {"envelope": {...}, "keys": [{"scheme", "keyid", "pem"?, "jwk"?}], "pae": base64}
"""

import base64
import json
import sys

from securesystemslib import exceptions, keys
from securesystemslib.signer import Signature, SSlibKey, SSlibSigner


def pae(payload_type: str, payload: bytes) -> bytes:
    """DSSE v1 Pre-Authentication Encoding (lengths are byte counts)."""
    t = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(t), t, len(payload), payload)


def b64decode_any(text: str) -> bytes:
    """Standard or URL-safe base64, as DSSE allows."""
    if not isinstance(text, str):
        raise ValueError("expected a base64 string")
    padded = text + "=" * (-len(text) % 4)
    if "-" in text or "_" in text:
        return base64.urlsafe_b64decode(padded)
    return base64.b64decode(padded, validate=True)


def ed25519_raw_from_pem(pem: str) -> bytes:
    """securesystemslib 0.26 has no Ed25519 PEM import: take the raw 32 bytes out
    of the SPKI with `cryptography` (a securesystemslib dependency)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    key = serialization.load_pem_public_key(pem.encode("utf-8"))
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def sslib_public_key(pem: str, scheme: str) -> SSlibKey:
    """An SSlibKey for `pem`, with securesystemslib's own key id."""
    if scheme == "ed25519":
        metadata = {"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": ed25519_raw_from_pem(pem).hex()}}
        key_dict, _ = keys.format_metadata_to_key(metadata)
    elif scheme in ("ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384"):
        key_dict = keys.import_ecdsakey_from_public_pem(pem, scheme)
    else:
        raise ValueError(f"unsupported scheme {scheme}")
    return SSlibKey.from_securesystemslib_key(key_dict)


def verify(request: dict) -> dict:
    envelope = request["envelope"]
    payload = b64decode_any(envelope["payload"])
    payload_type = envelope["payloadType"]
    message = pae(payload_type, payload)
    sslib_keys = [sslib_public_key(k["pem"], k["scheme"]) for k in request["keys"]]
    results = []
    for entry in envelope["signatures"]:
        sig_hex = b64decode_any(entry["sig"]).hex()
        verified_by = None
        # keyid in the envelope is only a hint (and ours are RFC 7638, not sslib's): try every key.
        for index, key in enumerate(sslib_keys):
            try:
                key.verify_signature(Signature(key.keyid, sig_hex), message)
            except (exceptions.UnverifiedSignatureError, exceptions.VerificationError):
                continue
            verified_by = index
            break
        results.append(verified_by)
    return {
        "payloadType": payload_type,
        "payload": base64.b64encode(payload).decode("ascii"),
        "pae": base64.b64encode(message).decode("ascii"),
        "keyids": [k.keyid for k in sslib_keys],
        "signatures": results,
    }


def generate(scheme: str) -> dict:
    if scheme == "ed25519":
        return keys.generate_ed25519_key()
    if scheme.startswith("ecdsa-"):
        return keys.generate_ecdsa_key(scheme)
    raise ValueError(f"unsupported scheme {scheme}")


def sign(request: dict) -> dict:
    payload = base64.b64decode(request["payload"], validate=True)
    payload_type = request["payloadType"]
    message = pae(payload_type, payload)
    signatures = []
    public_keys = []
    for scheme in request["schemes"]:
        key_dict = generate(scheme)
        signature = SSlibSigner(key_dict).sign(message)
        # Check with securesystemslib before handing the envelope over.
        public = SSlibKey.from_securesystemslib_key(key_dict)
        public.verify_signature(signature, message)
        signatures.append({"keyid": signature.keyid, "sig": base64.b64encode(bytes.fromhex(signature.signature)).decode("ascii")})
        out = {"scheme": scheme, "keyid": key_dict["keyid"]}
        if scheme == "ed25519":
            raw = bytes.fromhex(key_dict["keyval"]["public"])
            out["jwk"] = {"kty": "OKP", "crv": "Ed25519", "x": base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")}
        else:
            out["pem"] = key_dict["keyval"]["public"]
        public_keys.append(out)
    envelope = {"payload": base64.b64encode(payload).decode("ascii"), "payloadType": payload_type, "signatures": signatures}
    return {"envelope": envelope, "keys": public_keys, "pae": base64.b64encode(message).decode("ascii")}


def main() -> int:
    request = json.load(sys.stdin)
    op = request.get("op")
    if op == "verify":
        answer = verify(request)
    elif op == "sign":
        answer = sign(request)
    else:
        print(f"unknown op {op!r}", file=sys.stderr)
        return 2
    json.dump(answer, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
