"""bot/knowledge/data/pronunciations.yaml: how to say the words the speech recogniser's dictionary lacks.

pocketsphinx knows a word only if its pronouncing dictionary (CMUdict, bundled) spells it in phones;
"nordics", "doms" and "glutes" are not there, so a coach spells them here and voice notes can say them.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.knowledge.schema import FileReader
from bot.knowledge.yamlfile import KnowledgeError, Node, Problem

FILE = "pronunciations.yaml"
# the ARPAbet phones of pocketsphinx's US English acoustic model
PHONES = frozenset(
    "AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V W Y Z "
    "ZH".split()
)
WORD = re.compile(r"^[a-z][a-z']{0,39}$")


def read_pronunciations(reader: FileReader) -> dict[str, str]:
    """word -> phones, each problem recorded with its line."""
    root = reader.load_mapping({"words"}, "a top-level 'words:' mapping of word: phones")
    if root is None:
        return {}
    words = root.get("words")
    if not isinstance(words, Node):
        reader.error(root, "'words' must be a mapping of word: phones", "words")
        return {}
    out: dict[str, str] = {}
    for word in words:
        line = words.key_lines.get(word)
        phones = str(words[word] or "").upper().split()
        if not WORD.match(str(word)):
            reader.error(None, f"'{word}' must be one lowercase word (letters and apostrophes)", line=line)
        elif not phones:
            reader.error(None, f"'{word}' needs its phones, e.g. N AO R D IH K S", line=line)
        elif unknown := [p for p in phones if p not in PHONES]:
            listed = " ".join(sorted(PHONES))
            reader.error(None, f"'{word}': unknown phones {' '.join(unknown)} (use: {listed})", line=line)
        else:
            out[str(word)] = " ".join(phones)
    return out


def load_pronunciations(folder: Path) -> dict[str, str]:
    """The folder's pronunciations (none if it has no such file); KnowledgeError naming file and line."""
    path = Path(folder) / FILE
    if not path.is_file():
        return {}
    problems: list[Problem] = []
    out = read_pronunciations(FileReader(path, problems))
    if problems:
        raise KnowledgeError(problems)
    return out
