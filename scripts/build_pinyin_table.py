"""Build kiosk/i18n/data/pinyin.tsv.gz, the dictionary of the pinyin keyboard.

The kiosk reads the file with the standard library only; the packages that
make it are needed here, once, in a throwaway virtualenv:

    python3 -m venv /tmp/imevenv
    /tmp/imevenv/bin/pip install pypinyin==0.55.0 jieba==0.42.1 \
        opencc-python-reimplemented==0.1.7
    /tmp/imevenv/bin/python scripts/build_pinyin_table.py

With those versions the file comes out byte for byte the same (gzip without a
time stamp), so a rebuild shows in git only when something really changed.

Sources (both the data and the code that ships it are free to redistribute):

- jieba 0.42.1, ``jieba/dict.txt`` (MIT licence, https://github.com/fxsjy/jieba):
  about 350,000 words of simplified Chinese with corpus frequencies. The
  frequencies order the candidates.
- pypinyin 0.55.0 (MIT licence, https://github.com/mozillazg/python-pinyin): the
  readings, taken from the simplified word so its phrase dictionary picks the
  reading in context (銀行 yin-hang, 行走 xing-zou), and every reading of every
  character for the characters no word uses.
- opencc-python-reimplemented 0.1.7 (Apache-2.0 licence,
  https://github.com/yichen0831/opencc-python, data from OpenCC): conversion
  of whole words (头发 → 頭髮, 发展 → 發展, 皇后 stays). Macau writes the
  characters of the Big5 set, as its bureaus' names show (衛生局, 財政局's
  稅, 說明: not Hong Kong's 衞, 税, 説), so ``s2tw`` gives the first form and
  ``s2hk`` a second one at half the frequency, for what Macau writes both ways
  (台灣 and 臺灣, 裏 and 裡, 着 and 著).
- A few Macau place names written out below (氹仔, 路環, the parishes): the
  dictionary above, built from mainland text, hardly knows them, and they are
  what an address typed at this kiosk holds.

What is kept: every Traditional character of the CJK Unified Ideographs block
(U+4E00–U+9FFF, which the screen font covers) under each of its readings, and
the most frequent words of two to four characters. A character counts as
Traditional if a conversion writes it for some word (后 stays in 皇后) or
OpenCC's own table (STCharacters) does not list it as simplified, or lists it
as its own Traditional form too; so 们, 国, 门 never appear. A character's
frequency is its own as a word (capped: jieba's single characters hold noise)
plus a tenth of those of the words it occurs in, with that reading.

The file: gzip of UTF-8 lines ``text<TAB>syllables joined by '<TAB>score``,
score = round(10·ln(frequency)), best first; a comment line names the sources.
"""

from __future__ import annotations

import argparse
import gzip
import math
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.i18n.pinyin import MAX_WORD, SYLLABLES  # noqa: E402  (stdlib only)

OUT = ROOT / "kiosk" / "i18n" / "data" / "pinyin.tsv.gz"

# Macau's own words: places an address names. Readings written out, since
# pypinyin would guess from characters it mostly sees in other words.
MACAU = """
澳門 ao'men|氹仔 dang'zai|路環 lu'huan|路氹 lu'dang|路氹城 lu'dang'cheng|
花地瑪堂 hua'di'ma'tang|聖安多尼 sheng'an'duo'ni|望德堂 wang'de'tang|
風順堂 feng'shun'tang|大堂區 da'tang'qu|嘉模堂 jia'mo'tang|聖方濟各 sheng'fang'ji'ge|
堂區 tang'qu|黑沙環 hei'sha'huan|筷子基 kuai'zi'ji|新馬路 xin'ma'lu|媽閣 ma'ge|下環 xia'huan|
台山 tai'shan|青洲 qing'zhou|祐漢 you'han|關閘 guan'zha|水坑尾 shui'keng'wei|南灣 nan'wan|
新口岸 xin'kou'an|外港 wai'gang|高士德 gao'shi'de|東望洋 dong'wang'yang|西望洋 xi'wang'yang|
蓮峰 lian'feng|石排灣 shi'pai'wan|黑沙 hei'sha|九澳 jiu'ao|北區 bei'qu|大馬路 da'ma'lu|
前地 qian'di|大廈 da'sha|花園 hua'yuan|新城 xin'cheng|填海區 tian'hai'qu|
澳門半島 ao'men'ban'dao|特區政府 te'qu'zheng'fu|身份證 shen'fen'zheng|
""".replace("\n", "")
PLACE_SCORE_OF = "澳門"  # Macau's words count as often as Macau itself
WITHIN_WORDS = 0.1  # what a character counts for each word it occurs in
ALONE_CAP = 10.0  # at most this many times that on its own


def is_cjk(text: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--words", type=int, default=40_000,
                        help="how many words of 2–4 characters to keep")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    import jieba
    import opencc
    from pypinyin import Style, lazy_pinyin, pinyin, pinyin_dict

    forms = [(opencc.OpenCC("s2tw"), 1.0), (opencc.OpenCC("s2hk"), 0.5)]
    simplified_only = set()
    st_chars = Path(opencc.__file__).parent / "dictionary" / "STCharacters.txt"
    for line in st_chars.read_text(encoding="utf-8").splitlines():
        simplified, targets = line.split("\t")
        if simplified not in targets.split(" "):
            simplified_only.add(simplified)
    alone: defaultdict[tuple[str, str], float] = defaultdict(float)
    within: defaultdict[tuple[str, str], float] = defaultdict(float)
    within_any: defaultdict[str, float] = defaultdict(float)
    words: defaultdict[tuple[str, str], float] = defaultdict(float)
    written: set[str] = set()  # characters s2hk writes
    dict_txt = Path(jieba.__file__).parent / "dict.txt"
    skipped = 0
    for line in dict_txt.read_text(encoding="utf-8").splitlines():
        simplified, freq_s, *_ = line.split(" ")
        if not (1 <= len(simplified) <= MAX_WORD and is_cjk(simplified)):
            continue
        reading = lazy_pinyin(simplified, style=Style.NORMAL)
        if len(reading) != len(simplified) or not set(reading) <= SYLLABLES:
            skipped += 1
            continue
        done: set[str] = set()
        for converter, weight in forms:
            traditional = converter.convert(simplified)
            if traditional in done:
                continue
            done.add(traditional)
            if len(traditional) != len(simplified) or not is_cjk(traditional):
                skipped += 1
                continue
            freq = float(freq_s) * weight
            written.update(traditional)
            for ch, syllable in zip(traditional, reading, strict=True):
                if len(traditional) == 1:
                    alone[(ch, syllable)] += freq
                else:
                    within[(ch, syllable)] += freq
                    within_any[ch] += freq
            if len(traditional) >= 2:
                words[(traditional, "'".join(reading))] += freq

    # Alone, a character is typed as what it means on its own (想 before 相 for
    # xiang); within words it counts a tenth, which orders the characters that
    # never stand alone. jieba's single characters hold noise (mojibake such as
    # 銆 or 鏄, rare ones such as 嶅 with a large count): what a character counts
    # alone is capped at ten times what it counts within words.
    chars: defaultdict[tuple[str, str], float] = defaultdict(float)
    for (ch, syllable), freq in alone.items():
        chars[(ch, syllable)] += min(freq, ALONE_CAP * within_any[ch])
    for (ch, syllable), freq in within.items():
        chars[(ch, syllable)] += freq * WITHIN_WORDS
    # Every reading of every Traditional character, the rare ones at the end.
    for cp in pinyin_dict.pinyin_dict:
        ch = chr(cp)
        if not is_cjk(ch) or (ch not in written and ch in simplified_only):
            continue
        for syllable in pinyin(ch, style=Style.NORMAL, heteronym=True)[0]:
            if syllable in SYLLABLES:
                chars[(ch, syllable)] += 0.0  # known, even if never counted
    kept_words = sorted(words.items(), key=lambda kv: -kv[1])[:args.words]
    place_freq = words.get((PLACE_SCORE_OF, "ao'men"), 1000.0)
    macau = {}
    for item in MACAU.split("|"):
        if item.strip():
            text, reading = item.split()
            assert set(reading.split("'")) <= SYLLABLES, item
            assert len(reading.split("'")) == len(text), item
            macau[(text, reading)] = place_freq
    entries: dict[tuple[str, str], float] = {}
    for key, freq in (*chars.items(), *kept_words, *macau.items()):
        entries[key] = max(entries.get(key, 0.0), freq)
    rows = sorted(((text, reading, round(10 * math.log(freq + 1)))
                   for (text, reading), freq in entries.items()),
                  key=lambda r: (-r[2], len(r[0]), r[1], r[0]))
    header = ("# kiosk pinyin table: text, syllables, 10*ln(frequency). Built by "
              "scripts/build_pinyin_table.py from jieba dict.txt (MIT), pypinyin (MIT), "
              "OpenCC s2tw and s2hk (Apache-2.0); see kiosk/i18n/data/README.md")
    body = "\n".join([header, *("\t".join(map(str, r)) for r in rows)]) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0,
                                                   compresslevel=9, filename="") as gz:
        gz.write(body.encode("utf-8"))
    singles = sum(1 for r in rows if len(r[0]) == 1)
    print(f"{args.out}: {args.out.stat().st_size:,} bytes, {singles:,} characters, "
          f"{len(rows) - singles:,} words; {skipped:,} dictionary words skipped")


if __name__ == "__main__":
    main()
