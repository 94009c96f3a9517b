#!/usr/bin/env python3
"""Validates feeds with the W3C feed validator (its Python source, as the online validator
runs it: compatibility level "AA") and prints errors and warnings per feed, then the totals.

    FEEDVALIDATOR=/path/to/feedvalidator/src python3 scripts/feedcheck.py URL...

Exit status 1 when any feed has an error. The validator is w3c/feedvalidator (not on PyPI):
put its `src/` folder where FEEDVALIDATOR points; it needs lxml, html5lib and rdflib (PyPI).
"""
import os
import sys
import urllib.request  # noqa: F401  (the validator uses it without importing it)

sys.path.insert(0, os.environ.get("FEEDVALIDATOR", "feedvalidator/src"))
import feedvalidator  # noqa: E402
from feedvalidator import compatibility  # noqa: E402
from feedvalidator.formatter.text_plain import Formatter  # noqa: E402
from feedvalidator.logging import Error, Warning  # noqa: E402


def main(urls):
    errors = warnings = 0
    for url in urls:
        try:
            events = feedvalidator.validateURL(url, firstOccurrenceOnly=0)["loggedEvents"]
        except feedvalidator.logging.ValidationFailure as vf:
            events = [vf.event]
        events = compatibility.AA(events)
        e = [x for x in events if isinstance(x, Error)]
        w = [x for x in events if isinstance(x, Warning)]
        errors += len(e)
        warnings += len(w)
        print(f"{url}: {len(e)} errors, {len(w)} warnings")
        shown = Formatter(e + w)
        for i in range(min(12, len(shown))):
            print("    " + shown[i].replace("\n", " "))
    print(f"feed validator: {len(urls)} feeds, {errors} errors, {warnings} warnings")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
