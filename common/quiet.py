"""Start-up without a screen of other people's deprecation warnings.

`make run` started with some twenty DeprecationWarnings from the libraries under Rasa
(pkg_resources, sanic_cors's LooseVersion, pyparsing through matplotlib and packaging, click
through typer and spaCy, SQLAlchemy's URL() and its 2.0 moves) before its
first useful line. None of them is the new user's to act on: they are the pinned libraries'
business, and Rasa 3.6 is pinned to them.

``quiet_third_party_warnings()`` drops DeprecationWarning and PendingDeprecationWarning (and
their subclasses: SQLAlchemy's MovedIn20Warning, pyparsing's) raised from a file that is not the
project's: warnings meant for the libraries' developers. A deprecated call made by the project's
own code points at the project's file and still shows. FutureWarning, the category Python
keeps for warnings meant for an application's users (Rasa's own deprecations of a config or
domain option are FutureWarnings), UserWarning and every other category show, from anyone.

How: it wraps ``warnings.showwarning``, the hook the warnings module documents for replacing
how a warning is shown. Not PYTHONWARNINGS or warning filters: importing Sanic puts
``filterwarnings("once", category=DeprecationWarning)`` first, and Rasa puts
``filterwarnings("once", category=UserWarning)`` first at each start (pyparsing's warnings are
both), ahead of anything PYTHONWARNINGS, ``-W`` or an earlier filter set. No sitecustomize and
no .pth file either: only the processes that ask are changed, and tests see every warning.

Used by the Rasa server, through ``python -m common.quiet rasa ...`` (``scripts/rasa.sh``, which
is ``$RASA`` in scripts/common.sh), and by the action server (``actions/server.py``). The
demo page and the nurse console (Starlette) start without such warnings; TensorFlow's C++
start-up lines are off with ``TF_CPP_MIN_LOG_LEVEL=2`` (scripts/common.sh).
"""

from __future__ import annotations

import sys
import warnings
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: The project's packages: a warning raised from a file in one of these always shows.
OURS = frozenset(
    {"actions", "channels", "common", "console", "eval", "nlp", "rasa_patches", "scripts"}
    | {"store", "tests", "triage", "web"}
)
#: The categories dropped when raised from anyone else's file.
CATEGORIES = (DeprecationWarning, PendingDeprecationWarning)


def is_ours(filename: str) -> bool:
    """Whether a warning raised from ``filename`` is the project's own."""
    try:
        relative = Path(filename).resolve().relative_to(ROOT)
    except (ValueError, OSError):
        return False  # outside the repository: the venv, the standard library
    return bool(relative.parts) and relative.parts[0] in OURS


def is_third_party_deprecation(category: type[Warning], filename: str) -> bool:
    return issubclass(category, CATEGORIES) and not is_ours(filename)


def quiet_third_party_warnings() -> None:
    """From now on, the libraries' deprecation warnings are not shown (idempotent)."""
    show = warnings.showwarning
    if getattr(show, "_quiet", False):
        return

    def showwarning(
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: Any = None,
        line: str | None = None,
    ) -> None:
        if not is_third_party_deprecation(category, filename):
            show(message, category, filename, lineno, file, line)

    showwarning._quiet = True  # type: ignore[attr-defined]
    warnings.showwarning = showwarning


def main(argv: list[str] | None = None) -> int:
    """``python -m common.quiet SCRIPT ARGS...``: runs the venv's console script SCRIPT (e.g.
    ``rasa``) with ARGS, after quiet_third_party_warnings()."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print("usage: python -m common.quiet SCRIPT [ARGS...]  (e.g. rasa run)", file=sys.stderr)
        return 2
    found = entry_points(group="console_scripts", name=args[0])
    if not found:
        print(f"common.quiet: no console script named {args[0]!r}", file=sys.stderr)
        return 2
    quiet_third_party_warnings()
    sys.argv = args
    result = next(iter(found)).load()()
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
