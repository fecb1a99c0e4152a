// What hybrid search adds (docs/model-eval.md, "Hybrid search"): text→image recall of the
// evaluation's queries on a collection whose images carry captions, semantic vs hybrid vs
// keyword, per query set, through the engine's own query path (run_query on a read-only
// collection, as the server runs it).
//   build/bench/hybrid --data out/bench/hybrid/gallery --corpus CORPUS [--locales en,fr,…]
//                      [--max-queries 500] [-k 10]
// The collection is the test gallery indexed from a manifest with the corpus's identity lines
// (bench/hybrid/run.sh), so each image's caption is its identity's English primary caption.
// Query sets, per locale: `LOCALE` — the locale's primary caption of each identity (the
// evaluation's text query, as `qiss eval`); `LOCALE:keyword` — the identity's first keyword in
// the locale that is not a word of its English caption (a tag a user might type). A result is
// right when its record's manifest `id` is the query's identity. Queries are taken in identity
// order, every n-th so that at most --max-queries remain. Prints one JSON object per query set,
// with each mode's recall@1, recall@k and median query time (run_query's took_ms: embedding,
// language detection, both sides and the fusion).
#include <algorithm>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "corpus/manifest.h"
#include "engine/collection.h"
#include "engine/query.h"

namespace {

struct Options {
    std::string data, corpus;
    std::string locales = "en,fr,de,es,it,pt,nl,sv,pl,ru,tr,ar,hi,ja,zh,ko";
    int max_queries = 500;
    int k = 10;
};

struct QuerySet {
    std::string name;
    std::vector<std::pair<std::string, std::string>> queries;  ///< text, identity
};

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::stringstream in(s);
    for (std::string part; std::getline(in, part, sep);)
        if (!part.empty()) out.push_back(part);
    return out;
}

std::set<std::string> lower_words(const std::string& s) {
    std::set<std::string> words;
    std::string w;
    for (const char c : s + " ") {
        if (std::isalnum(static_cast<unsigned char>(c))) {
            w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        } else if (!w.empty()) {
            words.insert(w);
            w.clear();
        }
    }
    return words;
}

/// The identities of the gallery (records' manifest `id`) and their texts from the corpus.
std::vector<QuerySet> query_sets(const Options& o, const std::set<std::string>& gallery) {
    const qiss::Manifest m = qiss::read_manifest(qiss::resolve_manifest(o.corpus));
    std::map<std::string, const qiss::EntryTexts*> texts;
    for (const qiss::ManifestEntry& e : m.entries)
        if (gallery.contains(e.id) && e.texts) texts.emplace(e.id, e.texts.get());
    std::vector<QuerySet> sets;
    for (const std::string& locale : split(o.locales, ',')) {
        QuerySet captions{locale, {}}, keywords{locale + ":keyword", {}};
        for (const auto& [id, t] : texts) {
            if (const auto it = t->captions.find(locale);
                it != t->captions.end() && !it->second.empty())
                captions.queries.emplace_back(it->second.front(), id);
            const auto en = t->captions.find("en");
            const std::set<std::string> caption_words =
                en != t->captions.end() && !en->second.empty() ? lower_words(en->second.front())
                                                               : std::set<std::string>{};
            if (const auto it = t->keywords.find(locale); it != t->keywords.end())
                for (const std::string& kw : it->second) {
                    const auto words = lower_words(kw);
                    if (std::none_of(words.begin(), words.end(),
                                     [&](const auto& w) { return caption_words.contains(w); })) {
                        keywords.queries.emplace_back(kw, id);
                        break;
                    }
                }
        }
        for (QuerySet* s : {&captions, &keywords}) {
            const std::size_t n = s->queries.size();
            const std::size_t step = std::max<std::size_t>(
                1, (n + o.max_queries - 1) / static_cast<std::size_t>(o.max_queries));
            std::vector<std::pair<std::string, std::string>> kept;
            for (std::size_t i = 0; i < n; i += step) kept.push_back(s->queries[i]);
            s->queries = std::move(kept);
            if (!s->queries.empty()) sets.push_back(std::move(*s));
        }
    }
    return sets;
}

int run(const Options& o) {
    qiss::CollectionOptions read_only;
    read_only.read_only = true;
    const auto c = qiss::Collection::open(o.data, read_only);
    std::map<std::uint64_t, std::string> identity;
    std::set<std::string> gallery;
    c->store().for_each_record([&](const qiss::ImageRecord& r) {
        if (r.metadata.contains("id") && r.metadata["id"].is_string()) {
            identity[r.id] = r.metadata["id"].get<std::string>();
            gallery.insert(identity[r.id]);
        }
    });
    QISS_CHECK(!gallery.empty(), "{}: no record has a manifest id", o.data);
    for (const QuerySet& s : query_sets(o, gallery)) {
        nlohmann::json row = {{"set", s.name}, {"queries", s.queries.size()}};
        for (const qiss::SearchMode mode :
             {qiss::SearchMode::Semantic, qiss::SearchMode::Hybrid, qiss::SearchMode::Keyword}) {
            std::size_t r1 = 0, r10 = 0;
            std::vector<double> ms;
            for (const auto& [text, id] : s.queries) {
                qiss::Query q;
                q.kind = qiss::Query::Kind::Text;
                q.text = text;
                q.k = o.k;
                q.mode = mode;
                const qiss::QueryResult r = qiss::run_query(*c, q);
                ms.push_back(r.took_ms);
                for (std::size_t i = 0; i < r.hits.size(); ++i)
                    if (identity[r.hits[i].id] == id) {
                        r1 += i == 0;
                        ++r10;
                        break;
                    }
            }
            const double n = static_cast<double>(s.queries.size());
            std::sort(ms.begin(), ms.end());
            row[qiss::search_mode_name(mode)] = {
                {"r1", r1 / n}, {"r10", r10 / n}, {"p50_ms", ms[ms.size() / 2]}};
        }
        std::cout << row.dump() << std::endl;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"Text->image recall of semantic, hybrid and keyword search per query set"};
    Options o;
    app.add_option("--data", o.data, "Collection of the gallery (bench/hybrid/run.sh)")->required();
    app.add_option("--corpus", o.corpus, "Corpus folder or manifest (the queries' texts)")
        ->required();
    app.add_option("--locales", o.locales, "Comma-separated locales")->capture_default_str();
    app.add_option("--max-queries", o.max_queries, "Queries per set at most")
        ->capture_default_str();
    app.add_option("-k", o.k, "Results per query (recall@k)")->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    try {
        return run(o);
    } catch (const qiss::Error& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
