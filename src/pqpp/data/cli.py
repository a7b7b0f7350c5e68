"""``python pqpp_dataset.py build|push``: the Hub-ready PQPP dataset folder."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

from pqpp.data.hub import DEFAULT_CONFIGS, build_folder, push_folder
from pqpp.data.registry import DEFAULT_VERSION, RELEASES
from pqpp.data.schema import CONFIGS

EXAMPLES = """\
examples:
  python pqpp_dataset.py build --data_dir ../shared/pqpp-upstream/v1.1
  python pqpp_dataset.py build --version 1.0.0 --output pqpp-v1.0
  python pqpp_dataset.py build --images_dir /data/pqpp/images   # adds the `images` config
  python pqpp_dataset.py push --repo_id ORG/pqpp

then: python -c 'from datasets import load_dataset; print(load_dataset("pqpp"))'
"""


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="pqpp_dataset.py",
        description="Build the PQPP dataset into a Hub-ready Parquet folder, or push that folder to the Hub.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser(
        "build",
        help="write <output>/<config>/<split>-*.parquet and README.md for one version",
        description="Build every config of one PQPP version into a folder that load_dataset() reads offline.",
    )
    build.add_argument(
        "--version",
        default=DEFAULT_VERSION,
        choices=sorted(RELEASES),
        help="PQPP version (default: %(default)s)",
    )
    build.add_argument(
        "--data_dir",
        help="local copy of that version's upstream files (e.g. ../shared/pqpp-upstream/v1.1); "
        "default: $PQPP_DATA_DIR/<version folder>, else download the pinned upstream files",
    )
    build.add_argument(
        "--images_dir",
        help="the unpacked upstream image archive; when given, the `images` config is built too",
    )
    build.add_argument(
        "--configs",
        nargs="+",
        choices=list(CONFIGS),
        help=f"configs to build (default: {' '.join(DEFAULT_CONFIGS)}, plus images with --images_dir)",
    )
    build.add_argument("--output", default="pqpp", help="output folder (default: %(default)s)")

    push = commands.add_parser(
        "push",
        help="upload a built folder to a Hub dataset repo and tag it v<version>",
        description="Upload a folder written by `build` to the Hub (needs a token: `hf auth login` or HF_TOKEN).",
    )
    push.add_argument("--repo_id", required=True, help="Hub dataset repo, ORG/NAME")
    push.add_argument("--folder", default="pqpp", help="folder written by `build` (default: %(default)s)")
    push.add_argument("--private", action="store_true", help="create the repo as private")
    push.add_argument("--token", help="Hub token (default: the logged-in token or $HF_TOKEN)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s", level=logging.INFO)
    if args.command == "build":
        output = build_folder(
            args.output,
            version=args.version,
            data_dir=args.data_dir,
            images_dir=args.images_dir,
            configs=args.configs,
        )
        print(f"built {output}")
    else:
        url = push_folder(args.folder, repo_id=args.repo_id, private=args.private or None, token=args.token)
        print(f"pushed {args.folder} to {url}")
