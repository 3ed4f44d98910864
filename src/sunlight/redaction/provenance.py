"""C2PA provenance for redacted copies.

The redacted MP4 carries a C2PA manifest (c2pa-python): the original recording is its
``parentOf`` ingredient and the redaction is a ``c2pa.filtered`` action whose parameters
name the plan's SHA-256 and the statutes cited. It is signed with the department's key
(ES256, a PEM certificate chain, leaf first). ``c2pa.redacted`` is not used: in C2PA it
means removing assertions from a manifest, and c2pa-python 0.38 refuses it on MP4.

The department key lives in the data folder (``HOME/c2pa/chain.pem`` and ``key.pem``) or
where SUNLIGHT_C2PA_CHAIN / SUNLIGHT_C2PA_KEY point. Without one the copy is made unsigned
and the custody event says so: redaction must not stop because a key is missing, but the
record shows it.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CLAIM_GENERATOR = "Sunlight redaction"


class ProvenanceError(RuntimeError):
    """Signing or reading a C2PA manifest failed."""


@dataclass(frozen=True)
class DepartmentKey:
    chain_pem: bytes
    key_pem: bytes


def find_key(home: Path) -> DepartmentKey | None:
    chain = os.environ.get("SUNLIGHT_C2PA_CHAIN")
    key = os.environ.get("SUNLIGHT_C2PA_KEY")
    chain_path = Path(chain) if chain else home / "c2pa" / "chain.pem"
    key_path = Path(key) if key else home / "c2pa" / "key.pem"
    if chain_path.is_file() and key_path.is_file():
        return DepartmentKey(chain_path.read_bytes(), key_path.read_bytes())
    return None


def sign_redacted(
    *,
    source: Path,
    destination: Path,
    original: Path,
    original_sha256: str,
    plan_sha256: str,
    statutes: list[str],
    tool_version: str,
    key: DepartmentKey,
    title: str,
) -> dict[str, Any]:
    """Write ``source`` with an embedded, signed manifest to ``destination``."""
    import c2pa  # type: ignore[import-untyped]

    manifest = {
        "claim_generator_info": [{"name": CLAIM_GENERATOR, "version": tool_version}],
        "title": title,
        "format": "video/mp4",
        "assertions": [
            {
                "label": "c2pa.actions",
                "data": {
                    "actions": [
                        # C2PA requires the first action to say where the asset came
                        # from: the original recording was opened, then filtered.
                        {
                            "action": "c2pa.opened",
                            "parameters": {"ingredientIds": ["original"]},
                        },
                        {
                            "action": "c2pa.filtered",
                            "softwareAgent": {"name": CLAIM_GENERATOR, "version": tool_version},
                            "description": "Faces, objects and audio hidden under a "
                            "reviewed redaction plan (" + ", ".join(sorted(set(statutes))) + ")",
                            "parameters": {
                                "sunlight.plan_sha256": plan_sha256,
                                "sunlight.parent_sha256": original_sha256,
                            },
                        },
                    ]
                },
            }
        ],
    }
    ingredient = {
        "title": f"original recording sha256:{original_sha256}",
        "relationship": "parentOf",
        "instance_id": "original",
        "label": "original",
    }
    try:
        info = c2pa.C2paSignerInfo(b"es256", key.chain_pem, key.key_pem, None)
        signer = c2pa.Signer.from_info(info)
        with c2pa.Builder(manifest) as builder, signer:
            with original.open("rb") as fh:
                builder.add_ingredient(ingredient, "video/mp4", fh)
            with source.open("rb") as src, destination.open("w+b") as dst:
                builder.sign(signer, "video/mp4", src, dst)
    except c2pa.C2paError as exc:
        raise ProvenanceError(f"C2PA signing failed: {exc}") from exc
    return {
        "signed": True,
        "alg": "es256",
        "claim_generator": CLAIM_GENERATOR,
        "signer": signer_name(key.chain_pem),
    }


def signer_name(chain_pem: bytes) -> str:
    """Who signs with this chain: its leaf certificate's subject (RFC 4514)."""
    from cryptography import x509

    return x509.load_pem_x509_certificates(chain_pem)[0].subject.rfc4514_string()


def read_manifest(path: Path, *, trust_anchors_pem: str | None = None) -> dict[str, Any]:
    """The manifest store of an MP4 as a dict (with validation_state and results).

    With ``trust_anchors_pem`` (the department's root certificate) a valid signature by
    that department reads as "Trusted"; without, the signature is checked but untrusted.
    """
    import c2pa

    context = None
    if trust_anchors_pem:
        context = c2pa.Context.from_json(
            json.dumps({"trust": {"trust_anchors": trust_anchors_pem}})
        )
    try:
        with path.open("rb") as fh, c2pa.Reader("video/mp4", fh, context=context) as reader:
            document: dict[str, Any] = json.loads(reader.json())
    except c2pa.C2paError as exc:
        raise ProvenanceError(f"no readable C2PA manifest: {exc}") from exc
    return document


def make_test_chain(folder: Path, *, organisation: str = "Test Police Department") -> DepartmentKey:
    """A local ES256 root CA and signing certificate, for tests and demos only.

    C2PA refuses self-signed end-entity certificates, so this makes a two-level chain
    with the key usages the C2PA trust model asks for (digitalSignature, documentSigning).
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
                x509.NameAttribute(NameOID.COMMON_NAME, cn),
            ]
        )

    root_key = ec.generate_private_key(ec.SECP256R1())
    root = (
        x509.CertificateBuilder()
        .subject_name(name("Sunlight test root CA"))
        .issuer_name(name("Sunlight test root CA"))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), critical=False
        )
        .sign(root_key, hashes.SHA256())
    )
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(name("Sunlight redaction signer"))
        .issuer_name(root.subject)
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key()),
            critical=False,
        )
        .sign(root_key, hashes.SHA256())
    )
    chain = leaf.public_bytes(serialization.Encoding.PEM) + root.public_bytes(
        serialization.Encoding.PEM
    )
    key_pem = leaf_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "chain.pem").write_bytes(chain)
    (folder / "key.pem").write_bytes(key_pem)
    (folder / "key.pem").chmod(0o600)
    (folder / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    return DepartmentKey(chain, key_pem)
