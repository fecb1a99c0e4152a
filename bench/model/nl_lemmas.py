#!/usr/bin/python3
"""Do the natural-language queries miss for want of words? (docs/model-experiments.md, "Lemmas at query
time"). For every word of bench/model/queries.tsv, whether the training text of its language (the
corpus manifest's captions and keywords in that locale) contains it; if not, whether a hunspell
stem (the dictionary form: "dort" -> "dormir") or a synonym from the LibreOffice thesaurus
(mythes) does. Prints a markdown table per language. With --rewrite OUT, also writes the query
set with every unknown word replaced by its known stem, to be scored like the original:

    bench/model/nl_lemmas.py [--queries Q] [--manifest M] [--rewrite OUT.tsv]
    QUERIES=OUT.tsv bench/model/nl_queries.sh MODEL

Needs Debian's hunspell, hunspell-* and mythes-* (scripts/install-deps.sh --bench); a language
without a dictionary counts its unknown words as unknown. Words are `\\w+` runs, lower-cased, so a
Chinese or Japanese query without spaces is one word (counted apart).
"""
import argparse
import collections
import json
import os
import re
import subprocess

HUNSPELL = {"en": "en_US", "fr": "fr_FR", "de": "de_DE", "ru": "ru_RU", "es": "es_ES",
            "it": "it_IT", "pt": "pt_BR", "pl": "pl_PL", "nl": "nl_NL", "uk": "uk_UA",
            "sv": "sv_SE", "ar": "ar", "vi": "vi_VN", "ko": "ko_KR", "tr": "tr_TR", "hi": "hi_IN"}
MYTHES = {"en": "th_en_US_v2", "fr": "th_fr_FR_v2", "de": "th_de_DE_v2", "ru": "th_ru_RU_v2",
          "es": "th_es_ES_v2", "it": "th_it_IT_v2", "pt": "th_pt_PT_v2", "pl": "th_pl_PL_v2",
          "uk": "th_uk_UA_v2", "sv": "th_sv_SE_v2"}
UNSPACED = {"ja", "zh"}
WORD = re.compile(r"\w+")


def words(text):
    return [w.lower() for w in WORD.findall(text)]


def vocabularies(manifest, langs):
    vocab = {lang: set() for lang in langs}
    with open(manifest, encoding="utf-8") as f:
        for line in f:
            entry = json.loads(line)
            for field in ("captions", "keywords"):
                for lang, texts in entry.get(field, {}).items():
                    if lang in vocab:
                        for text in texts:
                            vocab[lang].update(words(text))
    return vocab


def stems(lang, ws):
    """word -> its hunspell stems (empty without a dictionary)."""
    out = collections.defaultdict(set)
    dic = f"/usr/share/hunspell/{HUNSPELL.get(lang, '-')}"
    if lang not in HUNSPELL or not os.path.exists(dic + ".dic"):
        return out
    text = subprocess.run(["hunspell", "-d", dic, "-s", "-i", "utf-8"], input="\n".join(ws) + "\n",
                          capture_output=True, text=True, check=True).stdout
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[1].lower() != parts[0].lower():
            out[parts[0].lower()].add(parts[1].lower())
    return out


def thesaurus(lang):
    """word -> its synonyms (mythes .dat: 'word|n', then n lines '(pos)|syn|syn...')."""
    path = f"/usr/share/mythes/{MYTHES.get(lang, '-')}.dat"
    synonyms = {}
    if lang not in MYTHES or not os.path.exists(path):
        return synonyms
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().splitlines()
    i = 1  # line 0 names the encoding
    while i < len(lines):
        head = lines[i].split("|")
        n = int(head[1]) if len(head) > 1 and head[1].isdigit() else 0
        syn = set()
        for meaning in lines[i + 1:i + 1 + n]:
            for s in meaning.split("|")[1:]:
                s = re.sub(r"\(.*?\)", "", s).strip().lower()
                if s:
                    syn.add(s)
        synonyms[head[0].lower()] = syn
        i += 1 + n
    return synonyms


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--queries", default="bench/model/queries.tsv")
    ap.add_argument("--manifest", default="data/emoji/manifest.jsonl")
    ap.add_argument("--rewrite", help="write the query set with known stems here")
    args = ap.parse_args()
    with open(args.queries, encoding="utf-8") as f:
        lines = f.read().splitlines()
    queries = [l.split("\t") for l in lines if l.strip() and not l.startswith("#")]
    by_lang = collections.defaultdict(list)
    for q in queries:
        by_lang[q[0]].append(q[1])
    vocab = vocabularies(args.manifest, by_lang)

    print("| language | words | known | known stem | known synonym | unknown | examples (stem ->, synonym ~, unknown ?) |")
    print("|---|---:|---:|---:|---:|---:|---|")
    total = collections.Counter()
    stem_of = {}
    for lang in sorted(by_lang):
        ws = sorted({w for t in by_lang[lang] for w in words(t)})
        st = stems(lang, ws)
        th = thesaurus(lang)
        count = collections.Counter()
        examples = []
        for w in ws:
            if lang in UNSPACED:
                count["unspaced" if w not in vocab[lang] else "known"] += 1
                continue
            if w in vocab[lang]:
                count["known"] += 1
                continue
            known_stems = sorted(st.get(w, set()) & vocab[lang])
            if known_stems:
                count["stem"] += 1
                stem_of[(lang, w)] = known_stems[0]
                examples.append(f"{w} -> {known_stems[0]}")
                continue
            syn = set()
            for x in {w} | st.get(w, set()):
                syn |= th.get(x, set())
            known_syn = sorted(s for s in syn if all(x in vocab[lang] for x in words(s)))
            if known_syn:
                count["synonym"] += 1
                examples.append(f"{w} ~ {known_syn[0]}")
            else:
                count["unknown"] += 1
                examples.append(f"{w}?")
        total.update(count)
        total["words"] += len(ws)
        unknown = count["unknown"] + count["unspaced"]
        print(f"| {lang} | {len(ws)} | {count['known']} | {count['stem']} | {count['synonym']} | "
              f"{unknown}{' (unspaced sentences)' if count['unspaced'] else ''} | {', '.join(examples[:6])} |")
    print(f"| **all** | **{total['words']}** | **{total['known']}** | **{total['stem']}** | "
          f"**{total['synonym']}** | **{total['unknown'] + total['unspaced']}** "
          f"({total['unspaced']} unspaced ja/zh sentences) | |")

    if args.rewrite:
        rewritten = 0
        with open(args.rewrite, "w", encoding="utf-8") as out:
            for line in lines:
                fields = line.split("\t")
                if not line.strip() or line.startswith("#") or len(fields) < 2:
                    out.write(line + "\n")
                    continue
                lang = fields[0]
                new = WORD.sub(lambda m: stem_of.get((lang, m.group(0).lower()), m.group(0)), fields[1])
                rewritten += new != fields[1]
                fields[1] = new
                out.write("\t".join(fields) + "\n")
        print(f"\n{rewritten} queries rewritten with known stems into {args.rewrite}")


if __name__ == "__main__":
    main()
