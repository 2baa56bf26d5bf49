#!/usr/bin/env python3
"""An independent OMS v1.0 key-bundle verifier in Python, used by the tests to
check that signatures provenant writes are accepted the way the OMS reference
implementation (sigstore/model-transparency) checks them: same key hint rule,
same DSSE PAE, ECDSA with the curve's own hash via `cryptography` (the library
the reference uses), same file walk (pathlib glob, is_relative_to ignores,
PurePosixPath ordering) and root digest.

Usage: oms_verify.py MODEL_PATH SIGNATURE PUBKEY_PEM [IGNORE...]
Prints "OK <n resources>" and exits 0, or prints the reason and exits 1.
"""
import base64
import hashlib
import json
import pathlib
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519


def fail(msg):
    print(msg)
    sys.exit(1)


def main():
    model = pathlib.Path(sys.argv[1]).absolute()
    sig_path = pathlib.Path(sys.argv[2]).absolute()
    pub = serialization.load_pem_public_key(pathlib.Path(sys.argv[3]).read_bytes())
    extra_ignores = [pathlib.Path(p).absolute() for p in sys.argv[4:]]

    bundle = json.loads(sig_path.read_text())
    if bundle.get("mediaType") != "application/vnd.dev.sigstore.bundle.v0.3+json":
        fail("unknown media type")
    pem = pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    hint = bundle["verificationMaterial"]["publicKey"]["hint"]
    if hint != hashlib.sha256(pem).hexdigest():
        fail("key hint mismatch")
    env = bundle["dsseEnvelope"]
    payload = base64.b64decode(env["payload"])
    ptype = env["payloadType"]
    pae = b" ".join([f"DSSEv1 {len(ptype)} {ptype} {len(payload)}".encode(), payload])
    sig = base64.b64decode(env["signatures"][0]["sig"])
    if isinstance(pub, ec.EllipticCurvePublicKey):
        algo = {"secp256r1": hashes.SHA256(), "secp384r1": hashes.SHA384(), "secp521r1": hashes.SHA512()}[pub.curve.name]
        pub.verify(sig, pae, ec.ECDSA(algo))
    elif isinstance(pub, ed25519.Ed25519PublicKey):
        pub.verify(sig, pae)
    else:
        fail("unsupported key")

    st = json.loads(payload)
    if st["_type"] != "https://in-toto.io/Statement/v1" or st["predicateType"] != "https://model_signing/signature/v1.0":
        fail("wrong statement type")
    ser = st["predicate"]["serialization"]
    resources = st["predicate"]["resources"]
    root = hashlib.sha256(b"".join(bytes.fromhex(r["digest"]) for r in resources)).hexdigest()
    if root != st["subject"][0]["digest"]["sha256"]:
        fail("root digest mismatch")

    ignores = [model / p for p in ser.get("ignore_paths", [])] + extra_ignores + [sig_path]
    ignores += [model / p for p in (".git", ".gitattributes", ".github", ".gitignore")]
    paths = []
    if model.is_file():
        paths = [model]
    else:
        for p in model.glob("**/*"):
            if any(p.is_relative_to(i) for i in ignores):
                continue
            if p.is_symlink() and not ser["allow_symlinks"]:
                fail(f"symlink {p}")
            if p.is_file():
                paths.append(p)

    actual = {}
    for p in paths:
        rel = pathlib.PurePosixPath(p.relative_to(model)) if p != model else pathlib.PurePosixPath(".")
        data = p.read_bytes()
        if ser["method"] == "files":
            actual[(rel, 0, 0)] = ("sha256", hashlib.sha256(data).hexdigest())
        else:
            size = int(ser["shard_size"])
            for start in range(0, len(data), size):
                end = min(start + size, len(data))
                actual[(rel, start, end)] = (f"sha256-sharded-{size}", hashlib.sha256(data[start:end]).hexdigest())
    ordered = [f"{k[0]}" if ser["method"] == "files" else f"{k[0]}:{k[1]}:{k[2]}" for k in sorted(actual)]
    names = [r["name"] for r in resources]
    if names != ordered:
        fail(f"resource order differs: {names} != {ordered}")
    for r, k in zip(resources, sorted(actual)):
        if (r["algorithm"], r["digest"]) != actual[k]:
            fail(f"digest mismatch for {r['name']}")
    print(f"OK {len(resources)}")


main()
