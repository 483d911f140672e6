"""Build the offline ODS lookup the first-run command uses, from NHS England's ODS
"etr.csv" (NHS trusts; Organisation Data Service, Open Government Licence v3.0).

    python data/make_ods_lookup.py etr.csv > src/qualitas/web/organisations/ods/trusts.csv

Keeps the trusts with no closing date; column 4 of etr.csv is the trust's "high level
health geography", which since July 2022 is its integrated care board. Names are
turned from capitals into ordinary capitalisation.
"""

from __future__ import annotations

import csv
import re
import sys

SMALL = {"and", "of", "the", "for", "in", "on", "upon"}
UPPER = {"NHS", "UK", "ICB", "CIC", "LLP"}


def ordinary_case(name: str) -> str:
    words = name.split()
    out = []
    for i, word in enumerate(words):
        if word in UPPER:
            out.append(word)
        elif i and word.lower() in SMALL:
            out.append(word.lower())
        else:
            # Capitalise each part after a hyphen; an apostrophe keeps what follows
            # lower case (Guy's, King's, Thomas').
            out.append(
                "-".join(p[:1].upper() + p[1:].lower() for p in word.split("-"))
            )
    return re.sub(r"\s+", " ", " ".join(out))


def main(path: str) -> None:
    with open(path, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f) if r and not r[11].strip()]
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["ods_code", "name", "icb_code"])
    for r in sorted(rows):
        icb = r[3].strip()
        out.writerow([r[0].strip(), ordinary_case(r[1].strip()), "" if icb == "Q99" else icb])


if __name__ == "__main__":
    main(sys.argv[1])
