"""Finding and verifying a release's upstream files: a local copy or a pinned download.

Where the files come from, in order:

1. ``data_dir``: one release's folder, laid out like the upstream repository root (``…/pqpp-upstream/v1.1``).
   A file pinned to another release's commit (v1.1 reuses v1.0's relevance judgments) is looked up there
   first, then in that release's sibling folder (``…/pqpp-upstream/v1.0``).
2. ``$PQPP_DATA_DIR``: a folder with one sub-folder per release (``v1.0/``, ``v1.1/``).
3. Otherwise the commit-pinned upstream URLs, through the ``datasets`` download manager (cached).

Every file is checked against the registry's sha256 before it is read.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from pqpp.data.registry import RELEASES, Release, UpstreamFile

__all__ = ["DATA_DIR_ENV", "ChecksumError", "local_root", "resolve_files", "sha256_of"]

DATA_DIR_ENV = "PQPP_DATA_DIR"


class ChecksumError(ValueError):
    """An upstream file's bytes are not the registered ones."""


def sha256_of(path: str | Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def local_root(release: Release, data_dir: str | os.PathLike | None = None) -> Path | None:
    """The local folder holding ``release``'s files, or ``None`` to download them.

    Raises:
        FileNotFoundError: ``data_dir`` (or ``$PQPP_DATA_DIR/<folder>``) is given but is not a folder.
    """
    if data_dir is not None:
        root = Path(data_dir).expanduser()
        if not root.is_dir():
            raise FileNotFoundError(
                f"data_dir {str(root)!r} is not a folder; expected a copy of the upstream repository at commit "
                f"{release.commit} (PQPP {release.version}), e.g. '…/pqpp-upstream/{release.folder}', "
                f"holding {release.files[next(iter(release.files))].path!r}"
            )
        return root
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        root = Path(env).expanduser() / release.folder
        if not root.is_dir():
            raise FileNotFoundError(
                f"${DATA_DIR_ENV} is {env!r} but {str(root)!r} does not exist; ${DATA_DIR_ENV} must name a "
                f"folder with one sub-folder per release ({', '.join(r.folder for r in RELEASES.values())})"
            )
        return root
    return None


def _candidates(release: Release, root: Path, file: UpstreamFile) -> list[Path]:
    paths = [root / file.path]
    if file.commit != release.commit:
        owners = [r for r in RELEASES.values() if r.commit == file.commit]
        paths += [root.parent / owner.folder / file.path for owner in owners]
    return paths


def verify(role: str, path: Path, file: UpstreamFile) -> None:
    """Raise :class:`ChecksumError` unless ``path`` holds exactly ``file``'s registered bytes."""
    actual = sha256_of(path)
    if actual != file.sha256:
        raise ChecksumError(
            f"checksum mismatch for {file.path} ({role}) at {str(path)!r}: expected sha256 {file.sha256}, "
            f"got {actual}; the file is not the upstream file of commit {file.commit}"
        )


def resolve_files(
    release: Release,
    data_dir: str | os.PathLike | None = None,
    download: Callable[[dict[str, str]], Mapping[str, str]] | None = None,
) -> dict[str, Path]:
    """Local, verified paths of every file of ``release``, by role.

    Args:
        release: the release to read.
        data_dir: a local copy of the release (see the module docstring); ``None`` falls back to
            ``$PQPP_DATA_DIR`` and then to downloading.
        download: maps ``{role: url}`` to ``{role: local path}`` (``datasets``' ``dl_manager.download``);
            needed only when no local copy is configured.

    Raises:
        FileNotFoundError: a file is missing from the local copy (all tried paths are named), or no local
            copy is configured and no ``download`` function was given.
        ChecksumError: a file's sha256 differs from the registry.
    """
    root = local_root(release, data_dir)
    if root is None:
        if download is None:
            raise FileNotFoundError(
                f"no local copy of PQPP {release.version}: pass data_dir=… or set ${DATA_DIR_ENV}"
            )
        fetched = download({role: file.url for role, file in release.files.items()})
        paths = {role: Path(fetched[role]) for role in release.files}
    else:
        paths, missing = {}, []
        for role, file in release.files.items():
            candidates = _candidates(release, root, file)
            found = next((p for p in candidates if p.is_file()), None)
            if found is None:
                missing.append(f"{file.path} (looked in {', '.join(repr(str(p)) for p in candidates)})")
            else:
                paths[role] = found
        if missing:
            raise FileNotFoundError(
                f"{len(missing)} upstream file(s) of PQPP {release.version} missing from the local copy: "
                + "; ".join(missing)
            )
    for role, path in paths.items():
        verify(role, path, release.files[role])
    return paths
