"""The natural-language query set (bench/model/queries.tsv), shared by the scripts that score it."""
from emoji_ids import family


def read_queries(path):
    """(language, query, accepted emoji ids without skin tones, accepted names) of each query
    line; '#' lines and blank lines are skipped."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            rows.append((cols[0], cols[1], {family(i) for i in cols[2].split(",")},
                         cols[3] if len(cols) > 3 else cols[2]))
    return rows
