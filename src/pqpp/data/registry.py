"""The upstream PQPP releases, as data.

Each release names the authors' repository commit it comes from, every upstream file the builder reads
(commit-pinned URL, sha256, number of records) and the split sizes it must produce. Nothing here is
computed: the checksums were taken from byte-exact copies of the upstream files, and the tests check them
against the local copy named by ``PQPP_DATA_DIR``.

Example:
    >>> from pqpp.data.registry import get_release
    >>> release = get_release("1.1.0")
    >>> release.folder, release.split_sizes["test"]
    ('v1.1', 2080)
    >>> release.files["qrels"].url.endswith("dataset/retrieval_groundtruth.pickle")
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

UPSTREAM_REPO = "Eduard6421/PQPP"
RAW_URL = "https://raw.githubusercontent.com/{repo}/{commit}/{path}"

COMMIT_V1_0 = "f88432154431d30c3aef2ef331db19ab03c30515"
COMMIT_V1_1 = "1f9734deb1675bb952c302ed3a2f84060a6fbdf6"

SPLITS = ("train", "validation", "test")
DEFAULT_VERSION = "1.1.0"


@dataclass(frozen=True)
class UpstreamFile:
    """One file of the upstream repository at one commit.

    Attributes:
        path: path inside the upstream repository (and inside a local copy of it).
        commit: the upstream commit the file is pinned to.
        sha256: hex digest of the file's bytes.
        records: number of records it holds (CSV data rows, or entries of a pickled dict).
    """

    path: str
    commit: str
    sha256: str
    records: int

    @property
    def url(self) -> str:
        return RAW_URL.format(repo=UPSTREAM_REPO, commit=self.commit, path=self.path)


@dataclass(frozen=True)
class IndexErratum:
    """A wrong value in an upstream file, with the evidence for the right one.

    Attributes:
        file: role of the file in its release (e.g. ``"clip/train"``).
        caption_id: the COCO caption id of the affected row.
        stated: the v1.0 row index the file states.
        correct: the v1.0 row index the row really has.
        evidence: why ``correct`` is right.
    """

    file: str
    caption_id: int
    stated: int
    correct: int
    evidence: str


@dataclass(frozen=True)
class Release:
    """One upstream release of PQPP.

    Attributes:
        version: the dataset version (``datasets.Version`` string).
        folder: name of the release's folder inside ``PQPP_DATA_DIR``.
        commit: the upstream commit of the release.
        layout: which reader understands the files (``"v1.0"`` or ``"v1.1"``).
        files: upstream files by role.
        split_sizes: rows per split.
        source_sizes: rows per split and source (``mscoco`` / ``drawbench``).
        row_ranges: for the v1.0 layout, the ``[start, stop)`` rows of ``dataset.csv`` forming each split.
        errata: known wrong values in the upstream files, corrected when reading.
        description: one line for the dataset card.
    """

    version: str
    folder: str
    commit: str
    layout: str
    files: Mapping[str, UpstreamFile]
    split_sizes: Mapping[str, int]
    source_sizes: Mapping[str, Mapping[str, int]]
    row_ranges: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    errata: tuple[IndexErratum, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        if set(self.split_sizes) != set(SPLITS):
            raise ValueError(
                f"release {self.version}: split_sizes must name {SPLITS}, got {set(self.split_sizes)}"
            )
        for split, sizes in self.source_sizes.items():
            if sum(sizes.values()) != self.split_sizes[split]:
                raise ValueError(f"release {self.version}: source sizes of {split} do not add up")
        object.__setattr__(self, "files", MappingProxyType(dict(self.files)))


RELEASES: dict[str, Release] = {}


def register_release(release: Release) -> Release:
    """Add a release to :data:`RELEASES`; registering a version twice is an error."""
    if release.version in RELEASES:
        raise ValueError(f"PQPP release {release.version} is already registered")
    RELEASES[release.version] = release
    return release


def get_release(version: str | None = None) -> Release:
    """The release for ``version`` (default :data:`DEFAULT_VERSION`).

    Raises:
        ValueError: for a version that is not registered, naming the valid ones.
    """
    version = str(version or DEFAULT_VERSION)
    try:
        return RELEASES[version]
    except KeyError:
        raise ValueError(f"unknown PQPP version {version!r}; valid versions: {sorted(RELEASES)}") from None


QRELS_V1_0 = UpstreamFile(
    "dataset/retrieval_groundtruth.pickle",
    COMMIT_V1_0,
    "7e90ce175d9fb47a36ae5a35eb0dd2b67397201e80208b3a6b3b3fa03cde13ae",
    10_000,
)

register_release(
    Release(
        version="1.0.0",
        folder="v1.0",
        commit=COMMIT_V1_0,
        layout="v1.0",
        files={
            "dataset": UpstreamFile(
                "dataset/dataset.csv",
                COMMIT_V1_0,
                "28adec881ea6a925adb8fd15f7f0b76e3dc0afb84c354c69d5beedb262e1d4c6",
                10_000,
            ),
            "qrels": QRELS_V1_0,
        },
        split_sizes={"train": 6000, "validation": 2000, "test": 2000},
        source_sizes={
            "train": {"mscoco": 6000},
            "validation": {"mscoco": 2000},
            "test": {"mscoco": 2000},
        },
        row_ranges={"train": (0, 6000), "validation": (6000, 8000), "test": (8000, 10_000)},
        description="10,000 MS COCO prompts (repository release of May 2024)",
    )
)

# v1.1 names its validation files "val".
_V1_1_SPLIT_FILE = {"train": "train", "validation": "val", "test": "test"}
_V1_1_SHA256 = {
    "glide/train": "b03cc9712b3d5fe844f6e82b591e087b43e5b10b827bc507cd2b18909eacbc50",
    "glide/validation": "26bf6b01aa962f2ac697ad43bd01fa26520f44cc5851f5165908ddf93b6de2f3",
    "glide/test": "010715de3226cfc1758df0bc9c2b1fd6fc050eab253f45955dc3d18b12d554da",
    "sdxl/train": "398facbcc8ae045592cd6f5ec9487b4cafa564373690b315d9144364bbb4ea25",
    "sdxl/validation": "2709934092803f380d45a63138972685adc47cdd6f5c00fba4072a6c22dbe8c1",
    "sdxl/test": "54c0bd5205ce821e698ae3d8bb7652a306781efe2507981c56d776190a5aeb19",
    "clip/train": "dde1e3f3a66fc2307e57d1fabf2292ba3d31c5dc8e0092ed7a3b7aaf5a34e121",
    "clip/validation": "6b26f69f1458bc6b03e46216dee99944d25d9c50f3a5456479934c13a71a7fed",
    "clip/test": "0c3f792523baf77f849947e4c7a57ab2a0b1ff8c5cbdf68689d5877d2a2b93be",
    "blip2/train": "1e52b5526b805fee57c30a50391d6f3db9c5020df32d0d4353ed72a2dce43055",
    "blip2/validation": "ea8463ac2b8bcf96113f6708ad3d694daa4c432c91e40fbe58b63b345f7abcaa",
    "blip2/test": "692432d0f387b4d7f977c8dbab98e776839e11d7147bb6f77443a92865b11db4",
}
_V1_1_SPLIT_SIZES = {"train": 6080, "validation": 2040, "test": 2080}


def _v1_1_path(role: str) -> str:
    model, split = role.split("/")
    name = _V1_1_SPLIT_FILE[split]
    if model in ("glide", "sdxl"):
        return f"dataset/generative/ground_truth/{model}/{model}_{name}.csv"
    return f"dataset/retrieval/ground_truth/{model}/{model}_retrieval_{name}_results.csv"


register_release(
    Release(
        version="1.1.0",
        folder="v1.1",
        commit=COMMIT_V1_1,
        layout="v1.1",
        files={
            **{
                role: UpstreamFile(_v1_1_path(role), COMMIT_V1_1, sha, _V1_1_SPLIT_SIZES[role.split("/")[1]])
                for role, sha in _V1_1_SHA256.items()
            },
            "drawbench_annotation": UpstreamFile(
                "dataset/drawbench_annotation.csv",
                COMMIT_V1_1,
                "3ea7d677c257904b3ed1ca9dd3c9cbd8dbdc0297b83a8ae726c3778c2e2b8ef4",
                200,
            ),
            "drawbench_split": UpstreamFile(
                "dataset/generative/drawbench/drawbench_split.csv",
                COMMIT_V1_1,
                "f4479c107b1dba7fa0bcad8c330f22676505b26610c912e6d199a8deaccd0b87",
                200,
            ),
            # Relevance judgments were published once, with v1.0, keyed by the v1.0 row index.
            "qrels": QRELS_V1_0,
        },
        split_sizes=_V1_1_SPLIT_SIZES,
        source_sizes={
            "train": {"mscoco": 6000, "drawbench": 80},
            "validation": {"mscoco": 2000, "drawbench": 40},
            "test": {"mscoco": 2000, "drawbench": 80},
        },
        errata=(
            IndexErratum(
                file="clip/train",
                caption_id=231871,
                stated=2029,
                correct=2028,
                evidence=(
                    "the BLIP-2 file states 2028 for this caption; v1.0 dataset.csv row 2028 is caption 231871 "
                    "with the same prompt and CLIP scores, and CLIP's 2029 is also stated for caption 760738"
                ),
            ),
        ),
        description="10,000 MS COCO + 200 DrawBench prompts (CVPR 2025 camera-ready)",
    )
)
