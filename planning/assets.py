"""Assets and archives as the plan records them: where they come from and a content hash, never an object repr.

The engine records a file asset as its path plus the SHA-256 of its bytes, so a plan diff changes exactly when the
file does (pulumi/pulumi `sdk/go/common/resource/asset.go`, `Asset.EnsureHash`). For an archive of a folder or an
`AssetArchive`, the hash here is a SHA-256 over its members' sorted (name, content hash) pairs: stable across
machines and changed by any member, though not the engine's byte-for-byte hash of its tar serialization.
An absolute path is recorded relative to the program's folder (the working directory a program runs in), so two
checkouts of one program plan the same.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from pulumi import asset


def describe_asset(value: asset.Asset | asset.Archive) -> dict[str, Any]:
    """A JSON-safe record of an asset or archive: its kind, its source (path, URI or text) and its hash."""
    if isinstance(value, asset.FileAsset):
        return {"kind": "FileAsset", "path": _portable(value.path), "hash": _file_hash(Path(value.path))}
    if isinstance(value, asset.StringAsset):
        return {
            "kind": "StringAsset",
            "text": value.text,
            "hash": hashlib.sha256(value.text.encode()).hexdigest(),
        }
    if isinstance(value, asset.RemoteAsset):
        return {"kind": "RemoteAsset", "uri": value.uri}
    if isinstance(value, asset.FileArchive):
        return {"kind": "FileArchive", "path": _portable(value.path), "hash": _path_hash(Path(value.path))}
    if isinstance(value, asset.AssetArchive):
        members = {name: describe_asset(member) for name, member in sorted(value.assets.items())}
        return {"kind": "AssetArchive", "assets": members, "hash": _members_hash(members)}
    if isinstance(value, asset.RemoteArchive):
        return {"kind": "RemoteArchive", "uri": value.uri}
    raise TypeError(f"not a Pulumi asset or archive: {type(value).__name__}")


def _portable(path: str | os.PathLike) -> str:
    return os.path.relpath(path) if os.path.isabs(path) else os.fspath(path)


def _file_hash(path: Path) -> str | None:
    # A missing file fails `pulumi up`; the plan records it without a hash, so the assessment can still run.
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _path_hash(path: Path) -> str | None:
    """A file archive (zip, tar, jar) hashes as a file; a folder by its files, relative names sorted."""
    if not path.is_dir():
        return _file_hash(path)
    members = {}
    for folder, _, files in os.walk(path):
        for file in files:
            member = Path(folder, file)
            members[member.relative_to(path).as_posix()] = {"hash": _file_hash(member)}
    return _members_hash(dict(sorted(members.items())))


def _members_hash(members: dict[str, dict[str, Any]]) -> str:
    digest = hashlib.sha256()
    for name, member in sorted(members.items()):
        digest.update(f"{name}\0{member.get('hash') or member.get('uri') or ''}\n".encode())
    return digest.hexdigest()
