"""The tables an import reads: the codebook's names and Goldstein values, and country names.

Read on first use: ``dipsim import`` is the only command that needs the country table.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from simulator.check.codebook import codebooks
from simulator.eventdata.mapping import Codebook

#: ICEWS's names of countries that GDELT's table (``tables/cameo-country.txt``) names otherwise
#: or not at all; the codes are ISO-3166 alpha-3, as the table's. Found by reading the ICEWS
#: sample's country names against the table (tests/data/eventdata/README.md).
ICEWS_NAMES = {
    "russian federation": "RUS",
    "colombia": "COL",  # the table spells it "Columbia"
    "congo": "COG",
    "democratic republic of congo": "COD",
    "cote d'ivoire": "CIV",
    "holy see": "VAT",
    "moldova, republic of": "MDA",
    "south sudan": "SSD",
    "taiwan": "TWN",
    "timor-leste": "TMP",
    "the former yugoslav republic of macedonia": "MKD",
}


@dataclass(frozen=True, slots=True)
class CodeTable:
    """One codebook: each code's name and Goldstein value."""

    codebook: Codebook
    names: dict[str, str]
    goldstein: dict[str, float]

    def label(self, code: str) -> str:
        """``CAMEO 161 (Reduce or break diplomatic relations)``."""
        name = self.names.get(code, "").strip()
        return f"{self.codebook.upper()} {code}" + (f" ({name})" if name else "")


def code_table(codebook: Codebook) -> CodeTable:
    """The codebook's table, from the ones ``dipsim check`` holds codes against."""
    books = codebooks()
    if codebook == "weis":
        # A code with a Goldstein value but no name (097, 226) is a WEIS code all the same.
        names = dict.fromkeys(books.weis_goldstein, "") | books.weis_names
        return CodeTable("weis", names, books.weis_goldstein)
    return CodeTable("cameo", books.names, books.goldstein)


@cache
def countries() -> dict[str, str]:
    """Country and region codes → names."""
    text = files("simulator.eventdata").joinpath("tables", "cameo-country.txt")
    pairs = (line.split("\t") for line in text.read_text(encoding="ascii").splitlines()[1:])
    return {p[0].strip(): p[1].strip() for p in pairs if len(p) == 2}


@cache
def country_codes() -> dict[str, str]:
    """Country names (lower case) → codes, ICEWS's own names included."""
    named = {name.lower(): code for code, name in countries().items()}
    return named | ICEWS_NAMES


__all__ = ["ICEWS_NAMES", "CodeTable", "code_table", "countries", "country_codes"]
