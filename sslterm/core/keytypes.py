"""The key types sslterm generates, by the names the CLI and the wizard use.

Kept apart from :mod:`sslterm.core.generate` so that listing the choices (the
CLI's argument parser, run on every start) does not import cryptography.
"""

from __future__ import annotations

KEY_TYPES = ("rsa2048", "rsa3072", "rsa4096", "ec256", "ec384", "ed25519")
KEY_TYPE_LABELS = {
    "rsa2048": "RSA 2048", "rsa3072": "RSA 3072", "rsa4096": "RSA 4096",
    "ec256": "ECDSA P-256", "ec384": "ECDSA P-384", "ed25519": "Ed25519",
}
DEFAULT_KEY_TYPE = "rsa2048"
