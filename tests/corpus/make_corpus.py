"""Write the rendering corpus: NAME.eml and NAME.expected.txt for every case.

Run once after changing a case (``python tests/corpus/make_corpus.py``) and commit the
output; tests/test_mail_corpus.py checks the committed files match these definitions and
that tui_mail renders each message to its expected text.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if __name__ == "__main__":  # run as a script: tests.* is importable from the repository root
    sys.path.insert(0, str(HERE.parent.parent))

from tests.corpus.corpus_hostile import CASES as HOSTILE  # noqa: E402
from tests.corpus.corpus_japanese import CASES as JAPANESE  # noqa: E402
from tests.corpus.corpus_kit import Case  # noqa: E402
from tests.corpus.corpus_realworld import CASES as REALWORLD  # noqa: E402
from tests.corpus.corpus_structure import CASES as STRUCTURE  # noqa: E402


def all_cases() -> list[Case]:
    """Every corpus case; names are unique."""
    cases = JAPANESE + STRUCTURE + HOSTILE + REALWORLD
    names = [case.name for case in cases]
    assert len(names) == len(set(names)), "duplicate corpus case names"
    return cases


def main() -> None:
    for case in all_cases():
        (HERE / f"{case.name}.eml").write_bytes(case.raw)
        (HERE / f"{case.name}.expected.txt").write_bytes(case.expected.encode("utf-8"))
    print(f"wrote {len(all_cases())} messages to {HERE}")


if __name__ == "__main__":
    main()
