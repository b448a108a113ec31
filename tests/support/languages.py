"""Whether a problem's detail reads wholly in the language asked for."""

from __future__ import annotations

import re

# Three Latin words in a row make an English phrase; codes, identifiers, dates and a lone
# technical word (https, XLSX) inside a Chinese sentence do not.
_ENGLISH_PHRASE = re.compile(r"[A-Za-z]{2,}(?:[ ,;:'()]+[A-Za-z]{2,}){2,}")
# Han characters and the full-width punctuation of a Chinese sentence.
_HAN = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff01-\uff1f“”]")


def wholly_chinese(text: str) -> bool:
    return bool(_HAN.search(text)) and _ENGLISH_PHRASE.search(text) is None


def wholly_english(text: str) -> bool:
    return _HAN.search(text) is None and re.search(r"[a-z]{2,}", text) is not None
