#!/usr/bin/env python3
"""gen_pretok_golden.py: writes tests/data/tokenizer/pretok_golden.tsv.

An independent reference for src/llm/tokenizer/pretok.c: random strings over a pool of
tricky characters (contractions, CR/LF runs, Unicode spaces, marks, digits of other scripts,
CJK, emoji) are split with the third-party `regex` module (which knows \\p{L} etc.) using
llama.cpp's regex lists per pre-tokenizer family, applied the way llama.cpp applies them
(each regex splits every piece into its matches and the gaps between them). For the
regexes llama.cpp runs through std::wregex (those without \\p{..}), non-ASCII
whitespace is replaced by U+000B first, as llama.cpp does ("W" prefix below); "V1" marks
a pattern that needs the module's V1 syntax (set difference: llama.cpp's \\p{S} lacks '~').

Each output line: family <TAB> input as hex UTF-8 <TAB> piece lengths in code points.
Needs a python3 with the third-party `regex` package; not run by the test suite.
Usage: python3 tools/gen_pretok_golden.py > tests/data/tokenizer/pretok_golden.tsv
"""
import random
import sys

import regex

GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
R = {
 'LLAMA3': [r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"],
 'QWEN2': [r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"],
 'QWEN35': [r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"],
 'GPT2': [GPT2],
 'STARCODER': [r"\p{N}", GPT2],
 'FALCON': [r"[\p{P}\$\+<=>\^~\|`]+", GPT2, r"[0-9][0-9][0-9]"],
 'DEFAULT': [r"[\p{P}\$\+<=>\^~\|]+", GPT2, r"\p{N}+", r"[0-9][0-9][0-9]"],
 'DEEPSEEK_CODER': [r"[\r\n]", r"\s?\p{L}+", r"\s?\p{P}+", "W[一-龥ࠀ-一가-퟿]+", r"\p{N}"],
 'DEEPSEEK_LLM': [r"[\r\n]", "W\\s?[\\U00000041-\\U0000005a\\U00000061-\\U0000007a\\U000000b5-\\U000000b5\\U000000c0-\\U000000d6\\U000000d8-\\U000000f6\\U000000f8-\\U000001ba\\U000001bc-\\U000001bf\\U000001c4-\\U00000293\\U00000295-\\U000002af\\U00000370-\\U00000373\\U00000376-\\U00000377\\U0000037b-\\U0000037d\\U0000037f-\\U0000037f\\U00000386-\\U00000386\\U00000388-\\U0000038a\\U0000038c-\\U0000038c\\U0000038e-\\U000003a1\\U000003a3-\\U000003f5\\U000003f7-\\U00000481\\U0000048a-\\U0000052f\\U00000531-\\U00000556\\U000010a0-\\U000010c5\\U000013a0-\\U000013f5\\U000013f8-\\U000013fd\\U00001c90-\\U00001cba\\U00001cbd-\\U00001cbf\\U00001d00-\\U00001d2b\\U00001d6b-\\U00001d77\\U00001d79-\\U00001d9a\\U00001e00-\\U00001f15\\U00001f18-\\U00001f1d\\U00001f20-\\U00001f45\\U00001f48-\\U00001f4d\\U00001f50-\\U00001f57\\U00001f59-\\U00001f59\\U00001f5b-\\U00001f5b\\U00001f5d-\\U00001f5d\\U00001f5f-\\U00001f7d\\U00001f80-\\U00001fb4\\U00001fb6-\\U00001fbc\\U00001fbe-\\U00001fbe\\U00001fc2-\\U00001fc4\\U00001fc6-\\U00001fcc\\U00001fd0-\\U00001fd3\\U00001fd6-\\U00001fdb\\U00001fe0-\\U00001fec\\U00001ff2-\\U00001ff4\\U00001ff6-\\U00001ffc\\U00002102-\\U00002102\\U00002107-\\U00002107\\U0000210a-\\U00002113\\U00002115-\\U00002115\\U00002119-\\U0000211d\\U00002124-\\U00002124\\U00002126-\\U00002126\\U00002128-\\U00002128\\U0000212a-\\U0000212d\\U0000212f-\\U00002134\\U00002139-\\U00002139\\U0000213c-\\U0000213f\\U00002145-\\U00002149\\U0000214e-\\U0000214e\\U00002183-\\U00002184\\U00002c00-\\U00002c7b\\U00002c7e-\\U00002ce4\\U00002ceb-\\U00002cee\\U00002cf2-\\U00002cf3\\U0000a640-\\U0000a66d\\U0000a680-\\U0000a69b\\U0000a722-\\U0000a76f\\U0000a771-\\U0000a787\\U0000a78b-\\U0000a78e\\U0000ab70-\\U0000abbf\\U0000fb00-\\U0000fb06\\U0000fb13-\\U0000fb17\\U0000ff21-\\U0000ff3a\\U0000ff41-\\U0000ff5a\\U00010400-\\U0001044f\\U000104b0-\\U000104d3\\U000104d8-\\U000104fb\\U00010c80-\\U00010cb2\\U00010cc0-\\U00010cf2\\U000118a0-\\U000118df\\U0001e900-\\U0001e943]+", "W\\s?[!-/:-~！-／：-～‘-‟　-。]+", r"\s+$", "W[一-龥ࠀ-一가-퟿]+", r"\p{N}+"],
 'GEMMA4': [r"[^\n]+|[\n]+"],
 'PORO': ["W ?[^(\\s|.,!?…。，、।۔،)]+"],
}
CONTR = r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])"

R['GPT4O'] = [r"[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+CC?|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*CC?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+".replace('CC', CONTR)]
R['TEKKEN'] = [r"[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"]
R['VIKING'] = ["W ?[^(\\s|.,!?…。，、।۔،)]+", r"\p{N}"]

R['UFAKZEKA'] = [r"[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"]
R['SEED_CODER'] = [r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+"]
R['LAGUNA'] = [r"[^\n]+|[\n]+", r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"]
R['MINICPM5'] = [r"\p{N}{1,3}", r"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}+| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"]
R['BAILING'] = [r"'(?:[sSdDmMtT]|[lL][lL]|[vV][eE]|[rR][eE])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+"]

PS = r"[[\p{P}\p{S}]--[~]]"
R['DEEPSEEK3'] = [r"\p{N}{1,3}", "W[一-龥぀-ゟ゠-ヿ]+",
    "V1[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|(?:[^\\r\\n\\p{L}\\p{P}\\p{S}]|~)?[\\p{L}\\p{M}]+| ?PS+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+".replace('PS', PS)]
WS = set([0x85,0xa0,0x1680,0x2028,0x2029,0x202f,0x205f,0x3000] + list(range(0x2000,0x200b)))
def split(text, rxs):
    segs = [text] if text else []
    for rx in rxs:
        wide = rx.startswith('W')
        if wide: rx = rx[1:]
        v1 = rx.startswith('V1')
        if v1: rx = rx[2:]
        pat = regex.compile(rx, regex.V1) if v1 else regex.compile(rx)
        out = []
        for seg in segs:
            t = ''.join('\x0b' if ord(c) in WS else c for c in seg) if wide else seg
            pos = 0
            for m in pat.finditer(t):
                if m.start() > pos: out.append(seg[pos:m.start()])
                out.append(seg[m.start():m.end()])
                pos = m.end()
            if pos < len(seg): out.append(seg[pos:])
        segs = out
    return [len(s) for s in segs]
pool = list("abcXYZ019/~& '''\r\n\t\t!?.,;:$+<=>^~|`()-_@#\"") + ["'s","'S","'re","'LL","'ve","'d","'m","  ","\n\n"," \n ","\r\n"] + \
  [chr(c) for c in [0xe9,0xc9,0x416,0x436,0x4e2d,0x6587,0xac00,0x301,0x308,0x663,0xb2,0xbd,0xa0,0x3000,0x2003,0x85,0x2026,0x3002,0xff0c,0x1f600,0x2160,0xfb01,0x212a,0x130,0x1f7d,0xb5,0x2019,0xff01,0x964,0x200b,0x0,0xd7a3,0x800,0x3042,0x30a2,0x2212,0x20ac,0xa9]]
pool = [p for p in pool if p != '\x00']
random.seed(20261123)
cases = [''.join(random.choice(pool) for _ in range(random.randint(0, 24))) for _ in range(150)]
for name, rxs in R.items():
    for c in cases:
        sys.stdout.write('%s\t%s\t%s\n' % (name, c.encode().hex(), ' '.join(str(n) for n in split(c, rxs))))
