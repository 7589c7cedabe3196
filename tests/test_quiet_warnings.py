"""`make run` starts without the libraries' DeprecationWarnings (common/quiet.py), and still shows
the project's own and every other kind of warning."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import sanic

from common.quiet import ROOT, is_ours, is_third_party_deprecation, main

SCRIPT = textwrap.dedent(
    """
    import sys, warnings
    if sys.argv[1] == "quiet":
        from common.quiet import quiet_third_party_warnings
        quiet_third_party_warnings()
    import sanic_cors  # warns on import: distutils' LooseVersion
    import sanic.app  # its import puts "once" for DeprecationWarning first
    lib = sanic.app.__file__
    warnings.warn_explicit("library deprecation", DeprecationWarning, lib, 1)
    warnings.warn_explicit("library future change", FutureWarning, lib, 2)
    warnings.warn_explicit("library user warning", UserWarning, lib, 3)
    warnings.warn_explicit("our deprecation", DeprecationWarning, sys.argv[2], 4)
    """
)


def _stderr(mode: str) -> str:
    ours = str(ROOT / "triage" / "rules.py")
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, mode, ours],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


def test_the_libraries_deprecations_are_dropped_and_the_rest_shown():
    loud, quiet = _stderr("loud"), _stderr("quiet")
    for text in ("LooseVersion", "library deprecation"):
        assert text in loud  # the test shows something: these do appear without it
        assert text not in quiet
    # FutureWarning is for an application's users (Rasa's deprecated config options): shown.
    for text in ("library future change", "library user warning", "our deprecation"):
        assert text in loud and text in quiet


def test_whose_file_a_warning_comes_from():
    assert is_ours(str(ROOT / "channels" / "handling.py"))
    assert not is_ours(sanic.__file__)
    assert not is_ours(textwrap.__file__)
    assert not is_ours(str(ROOT / ".venv" / "lib" / "x.py"))
    assert not is_ours("<string>")
    assert is_third_party_deprecation(DeprecationWarning, sanic.__file__)
    assert not is_third_party_deprecation(UserWarning, sanic.__file__)
    assert not is_third_party_deprecation(DeprecationWarning, str(ROOT / "nlp" / "x.py"))


def test_the_runner_runs_a_console_script_with_its_arguments():
    done = subprocess.run(
        [sys.executable, "-m", "common.quiet", "tabulate", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "tabulate" in done.stdout.lower()


def test_the_runner_refuses_an_unknown_or_missing_script(capsys):
    assert main([]) == 2
    assert main(["no-such-console-script"]) == 2
    assert "no console script named 'no-such-console-script'" in capsys.readouterr().err
