"""Command line: ``bench list``, ``bench run``, ``bench report``."""
from __future__ import annotations

import argparse
import sys


def cmd_list(args) -> int:
    import datasets
    import methods

    print("methods:")
    for name in methods.list_methods():
        cls = methods.method_class(name)
        doc = (cls.__doc__ or "").strip().split("\n")[0]
        print(f"  {name:<16} {doc}")
    print("suites:")
    for name, desc in datasets.describe_suites().items():
        print(f"  {name:<16} {desc}")
    named = datasets.list_datasets()
    if named:
        print("datasets:")
        for name in named:
            print(f"  {name}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="bench", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="registered methods, suites and datasets").set_defaults(fn=cmd_list)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.fn(args)
    except (KeyError, ValueError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else str(e)
        print(f"bench: error: {msg}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
