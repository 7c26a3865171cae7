#!/usr/bin/env python3
"""Print the unit modules (tests/unit/<m>_test.c) or e2e tests (tests/e2e/test_*.py), sorted."""
import sys
from pathlib import Path

here = Path(__file__).resolve().parent
if sys.argv[1] == "unit":
    names = [p.name[: -len("_test.c")] for p in (here / "unit").glob("*_test.c")]
else:
    names = [p.stem for p in (here / "e2e").glob("test_*.py")]
print("\n".join(sorted(names)))
