"""Password rules beyond the length: a deny-list of common passwords and the obvious guesses.

The list (``console/data/common-passwords.txt``, committed, a few hundred entries) is read
once. A password is compared after lower-casing and keeping only letters and digits, again
with only its letters, and again with the digits and symbols around it removed and the usual
look-alikes undone, so the usual decorations of a common base ("Password2024!", "letmein 123",
"P@ssw0rd 1") are refused too. It must also not contain the username or a word of the
clinic's name (``clinic_name`` in clinic.yml, read with the bot's own loader).
Why the username only whole: its parts ("nurse" in "nurse.jo") are ordinary words.
"""

from __future__ import annotations

import functools
import os
import re

from console.config import REPO_ROOT

LIST_FILE = REPO_ROOT / "console" / "data" / "common-passwords.txt"
MIN_DISTINCT = 5  # "aaaaaaaaaaaa", "121212121212"
MIN_WORD = 4  # shorter usernames and words of the clinic's name are not checked


@functools.cache
def common_passwords() -> frozenset[str]:
    words = set()
    for line in LIST_FILE.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0]
        if line.strip():
            words.add(_alnum(line))
    return frozenset(words)


@functools.cache
def clinic_words() -> tuple[str, ...]:
    """The clinic's name, whole and word by word (empty if clinic.yml cannot be read)."""
    from triage.clinic import ENV_VAR, ClinicConfigError, load_clinic

    try:
        name = load_clinic(os.environ.get(ENV_VAR) or REPO_ROOT / "clinic.yml").clinic_name
    except ClinicConfigError:
        return ()
    return _words(name)


def _alnum(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def _words(text: str) -> tuple[str, ...]:
    parts = [p for p in re.split(r"[^a-z0-9]+", text.lower()) if len(p) >= MIN_WORD]
    whole = _alnum(text)
    return tuple(dict.fromkeys([whole, *parts] if len(whole) >= MIN_WORD else parts))


LEET = str.maketrans("@4031$57!", "aaoeisstl")
DECORATION = re.compile(r"^[\W\d_]+|[\W\d_]+$")  # digits and symbols around the word


def _letters(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalpha())


def weakness(username: str, password: str) -> str | None:
    """Why ``password`` is refused (a sentence safe to show), or None."""
    alnum = _alnum(password)
    core = DECORATION.sub("", password.lower()).translate(LEET)  # "P@ssw0rd 2024" -> password
    common = common_passwords()
    if {alnum, _letters(password), _letters(core)} & common:
        return "the password is one of the most common passwords (or one with digits added)"
    if password.strip().isdigit():
        return "the password must not be only digits"
    if len(set(password.lower())) < MIN_DISTINCT:
        return f"the password must use at least {MIN_DISTINCT} different characters"
    name = _alnum(username)
    if len(name) >= MIN_WORD and name in alnum:
        return "the password must not contain the username"
    if any(word in alnum for word in clinic_words()):
        return "the password must not contain the clinic's name"
    return None
