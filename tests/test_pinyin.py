"""The pinyin engine (no Qt): letters to Traditional Chinese candidates, and
the composition the keyboard keeps."""

from __future__ import annotations

import fnmatch
import gzip
import time
import tomllib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.i18n import pinyin
from kiosk.i18n.pinyin import MAX_CANDIDATES, SYLLABLES, Composer, candidates, segment

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "kiosk" / "i18n" / "data" / "pinyin.tsv.gz"
# Common characters that exist only in simplified Chinese (their Traditional
# forms in brackets are what Macau writes): none may ever be offered.
SIMPLIFIED_ONLY = set("们国门这说为见长东车马鱼鸟书学会时对发开问间关还过进"
                      "经电话报汉语读写买卖钱银环岛区阳龙凤华应该实现请谢边")


def texts(buffer: str) -> list[str]:
    return [c.text for c in candidates(buffer)]


def cut(buffer: str) -> list[str]:
    return [s.letters for s in segment(buffer)]


def test_whole_words_come_first() -> None:
    assert "澳門" in texts("aomen")[:3]
    assert texts("xianggang")[0] == "香港"
    assert texts("zhongguo")[0] == "中國"
    assert texts("dangzai")[0] == "氹仔"  # Taipa: a Macau word the sources lack
    assert texts("shenfenzheng")[0] == "身份證"


def test_then_the_single_characters_of_the_first_syllable() -> None:
    found = candidates("xianggang")
    singles = [c for c in found if len(c.text) == 1]
    assert singles and all(c.length == len("xiang") for c in singles)
    assert "香" in [c.text for c in singles] and "想" in [c.text for c in singles]
    assert found.index(singles[0]) > 0  # after the word
    assert "你" in texts("ni")[:3]


def test_an_incomplete_last_syllable_is_a_beginning() -> None:
    assert cut("zhongg") == ["zhong", "g"]
    assert texts("zhongg")[0] == "中國"
    assert candidates("zhongg")[0].length == 6


def test_syllables_are_cut_longest_first_with_backtracking() -> None:
    assert cut("xian") == ["xian"]  # 先, not 西安
    assert cut("xianggang") == ["xiang", "gang"]
    assert cut("aomen") == ["ao", "men"]
    assert cut("fangan") == ["fang", "an"]
    assert cut("zhuangu") == ["zhuan", "gu"]  # "zhuang" leaves a "u" no syllable starts
    assert cut("lue") == ["lue"] and segment("lue")[0].key == "lve"
    assert cut("nh") == ["n", "h"]  # initials only: an abbreviation


def test_no_simplified_only_character_is_ever_offered() -> None:
    for syllable in sorted(SYLLABLES):
        offered = {ch for c in candidates(syllable) for ch in c.text}
        assert not offered & SIMPLIFIED_ONLY, syllable
    for buffer in ("women", "zhongguo", "aomen", "shuohua", "dianhua", "jinxing", "guanyu"):
        offered = {ch for c in candidates(buffer) for ch in c.text}
        assert not offered & SIMPLIFIED_ONLY, buffer
    assert {"們", "國", "門", "說"} <= {c.text for s in ("men", "guo", "shuo")
                                        for c in candidates(s)}


def test_the_table_holds_no_simplified_only_character_at_all() -> None:
    body = gzip.decompress(DATA.read_bytes()).decode("utf-8")
    lines = [line for line in body.splitlines() if not line.startswith("#")]
    assert not set("".join(line.split("\t")[0] for line in lines)) & SIMPLIFIED_ONLY
    scores = [int(line.rsplit("\t", 1)[1]) for line in lines]
    assert scores == sorted(scores, reverse=True)  # the engine relies on it
    assert DATA.stat().st_size < 1_500_000


def test_nothing_for_nothing_or_for_letters_no_syllable_starts() -> None:
    assert candidates("") == []
    assert candidates("vvv") == []
    assert candidates("iu") == []
    # A typo after good letters: candidates for what can be read, no further.
    assert all(c.length <= len("xiang") for c in candidates("xiangvgang"))
    assert texts("xiangvgang")


def test_choosing_part_of_the_buffer_leaves_the_rest() -> None:
    composer = Composer()
    for letter in "xianggangren":
        assert composer.type(letter)
    index = next(i for i, c in enumerate(composer.candidates) if c.text == "香港")
    assert composer.pick(index) == "香港"
    assert composer.buffer == "ren"
    assert composer.candidates[0].text == "人"
    assert composer.pick(0) == "人" and not composer.composing


def test_the_composer_erases_and_gives_its_letters_back() -> None:
    composer = Composer()
    assert not composer.erase()  # nothing to erase: the field's turn
    assert not composer.type("A") and not composer.type("1") and not composer.type("ab")
    for letter in "nihao":
        composer.type(letter)
    assert composer.erase() and composer.buffer == "niha"
    assert composer.take_letters() == "niha" and composer.buffer == ""
    assert composer.candidates == []


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz", max_size=30))
def test_any_letters_give_a_bounded_list_of_candidates(buffer: str) -> None:
    found = candidates(buffer)
    assert len(found) <= MAX_CANDIDATES
    assert len({c.text for c in found}) == len(found)
    for c in found:
        assert c.text and 0 < c.length <= len(buffer)
        assert all("\u4e00" <= ch <= "\u9fff" for ch in c.text)


def test_a_keystroke_takes_milliseconds() -> None:
    """Letter by letter, as a citizen types: each list comes well under the
    5 ms a keystroke may take (the bound here is loose: CI machines are busy)."""
    pinyin.load()
    times = []
    for word in ("xianggangrenmin", "aomentebiexingzhengqu", "wozhuzaiaomendangzai",
                 "nhnhnhnh", "shzhchshzhch", "qingwenzenmezou"):
        for end in range(1, len(word) + 1):
            start = time.perf_counter()
            candidates(word[:end])
            times.append(time.perf_counter() - start)
    times.sort()
    assert times[len(times) // 2] < 0.005
    assert times[-1] < 0.05


def test_the_table_is_package_data() -> None:
    """An installed kiosk has the file: pyproject's package data names it."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["kiosk.i18n"]
    relative = DATA.relative_to(ROOT / "kiosk" / "i18n").as_posix()
    assert any(fnmatch.fnmatch(relative, p) for p in patterns), patterns
