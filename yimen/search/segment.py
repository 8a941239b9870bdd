"""Chinese word segmentation (jieba), the same for what is indexed and what is asked.

Chinese has no spaces: an index of whole words would not find "楼道" in "楼道堆放杂物"
unless the text is cut into words first. The index takes jieba's search mode, which gives
each word and the shorter dictionary words inside it ("停车位" → 停车, 车位, 停车位); a query
takes the precise mode, one word per meaning, and each of its words must be in the case.

Both sides see the text the same way: NFKC (full-width "ＷｉＦｉ３楼" reads "wifi3楼"),
lower case, only runs of letters or of digits (punctuation never becomes a term), and none of
the function characters that every account contains. HMM new-word guessing is off: it
guesses differently in a long account and in a two-word query, and then they would not meet.
"""

import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

import jieba

jieba.setLogLevel(logging.WARNING)  # the dictionary loads on first use, without a banner

# Runs of letters (Chinese characters are letters) or of digits: "wifi6" is wifi and 6.
_WORD = re.compile(r"[^\W\d_]+|\d+")
# Function characters that stand alone in almost every account: as terms they match nothing
# useful, and a query's "了" must not miss an account that does not say it.
STOP_CHARACTERS = frozenset("的了着过吗呢吧啊呀嘛哦之与及和或而并且是把被也都就还又")
MAX_TERM = 64  # longer runs (a pasted code, a URL's letters) are not words anyone searches


def normalise(text: str) -> tuple[str, list[int] | None]:
    """The text as the index reads it, and for each of its characters the offset in
    ``text`` it came from (``None`` when they are the same offsets)."""
    if unicodedata.is_normalized("NFKC", text):
        lowered = text.lower()
        if len(lowered) == len(text):
            return lowered, None
    parts: list[str] = []
    offsets: list[int] = []
    for at, char in enumerate(text):
        part = unicodedata.normalize("NFKC", char).lower()
        parts.append(part)
        offsets.extend([at] * len(part))
    return "".join(parts), offsets


def _usable(term: str) -> bool:
    return len(term) <= MAX_TERM and term not in STOP_CHARACTERS


def _split(words: Iterator[tuple[str, int, int]]) -> Iterator[tuple[str, int, int]]:
    for word, start, _end in words:
        for match in _WORD.finditer(word):
            if _usable(term := match.group()):
                yield term, start + match.start(), start + match.end()


def terms_at(normalised: str) -> Iterator[tuple[str, int, int]]:
    """Search-mode terms of normalised text, each with its start and end offsets."""
    if not normalised:
        return iter(())
    return _split(jieba.tokenize(normalised, mode="search", HMM=False))


def index_terms(text: str) -> list[str]:
    """What the index keeps of ``text``: its words and the words inside them, in order."""
    return [term for term, _start, _end in terms_at(normalise(text)[0])]


@dataclass(frozen=True)
class Group:
    """One thing a case must contain to match a query.

    ``word``: ``terms[0]``, or every one of its inner words (``terms[1:]``), for an account
    that was cut around it differently; ``phrase``: single characters one after another
    (a name the dictionary does not know, "柳岸" → 柳 岸); ``prefix``: a query of one
    character, which finds the words that start with it ("水" → 水管, 水费).
    """

    kind: str
    terms: tuple[str, ...]


def query_groups(query: str) -> tuple[Group, ...]:
    """The groups a case must all match; none for a query without a word to look for."""
    words = [
        term
        for word in jieba.cut(normalise(query)[0], HMM=False)
        for term in _WORD.findall(word)
        if _usable(term)
    ]
    if len(words) == 1 and len(words[0]) == 1:
        return (Group("prefix", (words[0],)),)
    groups: list[Group] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1:
            run.append(word)
            continue
        if run:
            groups.append(Group("phrase", tuple(run)))
            run = []
        if word:
            inner = dict.fromkeys(t for t, _start, _end in terms_at(word) if t != word)
            groups.append(Group("word", (word, *inner)))
    return tuple(groups)
