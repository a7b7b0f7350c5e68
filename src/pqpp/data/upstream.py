"""Reading the upstream PQPP files into canonical rows.

One reader per upstream layout turns a release's verified files into ``{split: [row, …]}``, each row a
dict with exactly the canonical columns (:data:`pqpp.data.schema.ID_COLUMNS`, the nine targets and
``relevant_image_ids``), in upstream row order. Values are the upstream values: prompts are never
stripped, numbers are parsed with ``int`` / ``float``. Two kinds of values are derived, both documented in
the dataset card: ``generation_score`` and ``retrieval_*`` are the means of the two models (upstream's own
average columns differ from the mean by at most a few units in the last place), and DrawBench categories
are normalised (upstream has stray spaces, a misspelt category and two shifted rows).

Every join is checked while reading, and a file that breaks one raises :class:`UpstreamFormatError`
naming the file, the row and the values.

Example:
    >>> from pqpp.data.registry import get_release
    >>> from pqpp.data.sources import resolve_files
    >>> release = get_release("1.1.0")
    >>> splits = read_release(release, resolve_files(release))  # doctest: +SKIP
    >>> splits["test"][0]["prompt_id"]  # doctest: +SKIP
    'coco-605217'
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pqpp.data.registry import SPLITS, Release
from pqpp.data.safe_pickle import safe_load_file
from pqpp.data.schema import SOURCES

__all__ = ["DRAWBENCH_CATEGORIES", "UpstreamFormatError", "read_qrels", "read_release"]

Row = dict[str, Any]

DRAWBENCH_CATEGORIES = (
    "Colors",
    "Conflicting",
    "Counting",
    "DALL-E",
    "Descriptions",
    "Gary Marcus et al.",
    "Misspellings",
    "Positional",
    "Rare Words",
    "Reddit",
    "Text",
)
_CATEGORY_ALIASES = {"Mispellings": "Misspellings"}
# drawbench_split.csv names the validation split "val".
_SPLIT_NAMES = {"train": "train", "val": "validation", "test": "test"}


class UpstreamFormatError(ValueError):
    """An upstream file does not have the content the reader checks for."""


def _read_csv(path: Path, records: int, required: Iterable[str] = ()) -> list[dict[str, str]]:
    """Rows of a CSV file as dicts of raw strings, checking the header and the record count."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [name for name in required if name not in (reader.fieldnames or ())]
        if missing:
            raise UpstreamFormatError(f"{path}: missing column(s) {missing}; header is {reader.fieldnames}")
        rows = list(reader)
    if len(rows) != records:
        raise UpstreamFormatError(f"{path}: expected {records} data rows, got {len(rows)}")
    return rows


def read_qrels(path: Path, records: int) -> dict[int, list[int]]:
    """The relevance judgments: v1.0 row index → relevant COCO train2017 image ids.

    Upstream lists sometimes repeat an id; relevance is membership, so each id is kept once, in order of
    first occurrence.
    """
    raw = safe_load_file(path)
    if not isinstance(raw, dict) or len(raw) != records:
        size = len(raw) if isinstance(raw, dict) else None
        raise UpstreamFormatError(
            f"{path}: expected a dict of {records} entries, got {type(raw).__name__} {size}"
        )
    qrels: dict[int, list[int]] = {}
    for key, ids in raw.items():
        if type(key) is not int or type(ids) is not list or not set(map(type, ids)) <= {int}:
            raise UpstreamFormatError(f"{path}: entry {key!r} is not an int mapped to a list of ints")
        qrels[key] = list(dict.fromkeys(ids))
    if set(qrels) != set(range(records)):
        raise UpstreamFormatError(f"{path}: keys are not the row indices 0..{records - 1}")
    return qrels


def _row(
    *,
    prompt_id: str,
    prompt: str,
    source: str,
    category: str | None,
    coco_image_id: int | None,
    coco_caption_id: int | None,
    glide: str,
    sdxl: str,
    clip_p10: str,
    clip_rr: str,
    blip2_p10: str,
    blip2_rr: str,
    relevant_image_ids: list[int],
) -> Row:
    scores = {
        "glide_score": float(glide),
        "sdxl_score": float(sdxl),
        "clip_p10": float(clip_p10),
        "clip_rr": float(clip_rr),
        "blip2_p10": float(blip2_p10),
        "blip2_rr": float(blip2_rr),
    }
    return {
        "prompt_id": prompt_id,
        "prompt": prompt,
        "source": source,
        "category": category,
        "coco_image_id": coco_image_id,
        "coco_caption_id": coco_caption_id,
        "glide_score": scores["glide_score"],
        "sdxl_score": scores["sdxl_score"],
        "generation_score": (scores["glide_score"] + scores["sdxl_score"]) / 2,
        "clip_p10": scores["clip_p10"],
        "clip_rr": scores["clip_rr"],
        "blip2_p10": scores["blip2_p10"],
        "blip2_rr": scores["blip2_rr"],
        "retrieval_p10": (scores["clip_p10"] + scores["blip2_p10"]) / 2,
        "retrieval_rr": (scores["clip_rr"] + scores["blip2_rr"]) / 2,
        "relevant_image_ids": relevant_image_ids,
    }


def _read_v1_0(release: Release, paths: Mapping[str, Path]) -> dict[str, list[Row]]:
    table = _read_csv(
        paths["dataset"],
        release.files["dataset"].records,
        (
            "id",
            "image_id",
            "best_caption",
            "glide_score",
            "sdxl_score",
            "clip_pk",
            "clip_rr",
            "blip2_pk",
            "blip2_rr",
        ),
    )
    qrels = read_qrels(paths["qrels"], release.files["qrels"].records)
    rows = [
        _row(
            prompt_id=f"coco-{int(r['id'])}",
            prompt=r["best_caption"],
            source="mscoco",
            category=None,
            coco_image_id=int(r["image_id"]),
            coco_caption_id=int(r["id"]),
            glide=r["glide_score"],
            sdxl=r["sdxl_score"],
            clip_p10=r["clip_pk"],
            clip_rr=r["clip_rr"],
            blip2_p10=r["blip2_pk"],
            blip2_rr=r["blip2_rr"],
            relevant_image_ids=qrels[index],
        )
        for index, r in enumerate(table)
    ]
    return {split: rows[start:stop] for split, (start, stop) in release.row_ranges.items()}


def _drawbench_category(fields: list[str], index: int) -> str:
    # The category belongs in the third column, but one upstream row swaps it with the parsed prompt and
    # one row lacks the parsed prompt, so its category sits in the second column.
    for raw in fields[2:3] + fields[1:2]:
        name = _CATEGORY_ALIASES.get(raw.strip(), raw.strip())
        if name in DRAWBENCH_CATEGORIES:
            return name
    raise UpstreamFormatError(f"drawbench_annotation.csv row {index}: no DrawBench category in {fields[1:3]}")


def _read_drawbench(
    release: Release, paths: Mapping[str, Path]
) -> tuple[dict[int, tuple[str, str]], dict[int, str]]:
    """DrawBench index → (prompt, category), and index → split."""
    path = paths["drawbench_annotation"]
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    if len(rows) != release.files["drawbench_annotation"].records:
        raise UpstreamFormatError(f"{path}: expected {release.files['drawbench_annotation'].records} rows")
    annotation = {i: (fields[0], _drawbench_category(fields, i)) for i, fields in enumerate(rows)}
    split_rows = _read_csv(
        paths["drawbench_split"], release.files["drawbench_split"].records, ("index", "split")
    )
    splits = {int(r["index"]): _SPLIT_NAMES[r["split"]] for r in split_rows}
    if set(splits) != set(annotation):
        raise UpstreamFormatError(f"{paths['drawbench_split']}: indices differ from drawbench_annotation.csv")
    return annotation, splits


class _ReleaseV11Split:
    """The four per-model files of one v1.1 split, read side by side."""

    GENERATION = ("glide", "sdxl")
    RETRIEVAL = ("clip", "blip2")

    def __init__(self, release: Release, paths: Mapping[str, Path], split: str) -> None:
        self.split = split
        self.release = release
        self.tables = {
            model: _read_csv(paths[f"{model}/{split}"], release.files[f"{model}/{split}"].records, columns)
            for models, columns in (
                (self.GENERATION, ("caption_id", "caption", "score", "source")),
                (self.RETRIEVAL, ("prompt", "source", "index", "precision", "reciprocal_rank", "caption_id")),
            )
            for model in models
        }
        self.errata = {(e.file, e.caption_id, e.stated): e.correct for e in release.errata}

    def fail(self, row: int, message: str) -> UpstreamFormatError:
        files = ", ".join(self.release.files[f"{m}/{self.split}"].path for m in self.tables)
        return UpstreamFormatError(f"PQPP {self.release.version} {self.split} row {row} ({files}): {message}")

    def agreed(self, row: int, column_by_model: Mapping[str, str]) -> str:
        """The value every named file states for this row, or an error listing the disagreement."""
        values = {model: self.tables[model][row][column] for model, column in column_by_model.items()}
        if len(set(values.values())) != 1:
            raise self.fail(row, f"files disagree: {values}")
        return next(iter(values.values()))

    def v1_0_index(self, row: int, caption_id: int) -> int:
        stated = {}
        for model in self.RETRIEVAL:
            index = int(self.tables[model][row]["index"])
            stated[model] = self.errata.get((f"{model}/{self.split}", caption_id, index), index)
        if len(set(stated.values())) != 1:
            raise self.fail(row, f"v1.0 row index disagrees between files: {stated} (caption {caption_id})")
        return stated["clip"]

    def rows(
        self,
        qrels: Mapping[int, list[int]],
        annotation: Mapping[int, tuple[str, str]],
        drawbench_splits: Mapping[int, str],
    ) -> list[Row]:
        t = self.tables
        out = []
        for i in range(len(t["glide"])):
            prompt = self.agreed(
                i, {"glide": "caption", "sdxl": "caption", "clip": "prompt", "blip2": "prompt"}
            )
            source = self.agreed(i, dict.fromkeys(t, "source"))
            key = int(self.agreed(i, dict.fromkeys(self.GENERATION, "caption_id")))
            caption_id = int(self.agreed(i, dict.fromkeys(self.RETRIEVAL, "caption_id")))
            if source == "mscoco":
                # Generation files key COCO rows by image id, retrieval files by caption id + v1.0 row.
                ids = {"prompt_id": f"coco-{caption_id}", "category": None}
                ids |= {"coco_image_id": key, "coco_caption_id": caption_id}
                relevant = qrels[self.v1_0_index(i, caption_id)]
            elif source == "drawbench":
                index = self.v1_0_index(i, caption_id)
                if not key == caption_id == index:
                    raise self.fail(
                        i, f"DrawBench index differs: generation {key}, retrieval {caption_id}/{index}"
                    )
                if annotation[index][0] != prompt or drawbench_splits[index] != self.split:
                    raise self.fail(
                        i, f"DrawBench prompt {index} differs from drawbench_annotation/split files"
                    )
                ids = {"prompt_id": f"drawbench-{index}", "category": annotation[index][1]}
                ids |= {"coco_image_id": None, "coco_caption_id": None}
                relevant = []  # DrawBench prompts have no published relevance judgments.
            else:
                raise self.fail(i, f"unknown source {source!r}; expected one of {SOURCES}")
            out.append(
                _row(
                    **ids,
                    prompt=prompt,
                    source=source,
                    glide=t["glide"][i]["score"],
                    sdxl=t["sdxl"][i]["score"],
                    clip_p10=t["clip"][i]["precision"],
                    clip_rr=t["clip"][i]["reciprocal_rank"],
                    blip2_p10=t["blip2"][i]["precision"],
                    blip2_rr=t["blip2"][i]["reciprocal_rank"],
                    relevant_image_ids=relevant,
                )
            )
        return out


def _read_v1_1(release: Release, paths: Mapping[str, Path]) -> dict[str, list[Row]]:
    qrels = read_qrels(paths["qrels"], release.files["qrels"].records)
    annotation, drawbench_splits = _read_drawbench(release, paths)
    return {
        split: _ReleaseV11Split(release, paths, split).rows(qrels, annotation, drawbench_splits)
        for split in SPLITS
    }


_READERS = {"v1.0": _read_v1_0, "v1.1": _read_v1_1}


def read_release(release: Release, paths: Mapping[str, Path]) -> dict[str, list[Row]]:
    """Canonical rows of every split of ``release`` from its verified files (see :func:`resolve_files`).

    Raises:
        UpstreamFormatError: a join or a count does not hold.
    """
    splits = _READERS[release.layout](release, paths)
    seen: dict[str, str] = {}
    for split, rows in splits.items():
        counts = {source: sum(row["source"] == source for row in rows) for source in SOURCES}
        expected = {source: release.source_sizes[split].get(source, 0) for source in SOURCES}
        if len(rows) != release.split_sizes[split] or counts != expected:
            raise UpstreamFormatError(
                f"PQPP {release.version} {split}: expected {release.split_sizes[split]} rows {expected}, "
                f"got {len(rows)} {counts}"
            )
        for row in rows:
            if row["prompt_id"] in seen:
                raise UpstreamFormatError(
                    f"PQPP {release.version}: prompt id {row['prompt_id']} appears in {seen[row['prompt_id']]} "
                    f"and {split}"
                )
            seen[row["prompt_id"]] = split
    return splits
