// The natural-language query set bench/model/queries.tsv (issue 11, scored by
// bench/model/nl_queries.sh): well-formed, large and varied enough, every accepted emoji an image
// of the twitter gallery, and written by hand rather than copied from the CLDR training text.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace fs = std::filesystem;
using qiss::test::TempDir;

namespace {

struct NlQuery {
    std::string lang;
    std::string text;
    std::vector<std::string> ids;
};

struct QueryFile {
    std::vector<NlQuery> queries;
    std::vector<std::string> problems;  ///< "line N: what is wrong"
};

fs::path committed_file() {
    return qiss::test::source_dir() / "bench/model/queries.tsv";
}

fs::path twitter_gallery() {
    return qiss::test::source_dir() / "node_modules/emoji-datasource-twitter/img/twitter/64";
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> parts;
    std::stringstream in(s);
    for (std::string p; std::getline(in, p, sep);) parts.push_back(p);
    if (!s.empty() && s.back() == sep) parts.emplace_back();
    return parts;
}

/// The emoji id without its skin-tone modifiers (1f3fb..1f3ff), as the scorer compares them.
std::string strip_skin_tones(const std::string& id) {
    static const std::set<std::string> tones = {"1f3fb", "1f3fc", "1f3fd", "1f3fe", "1f3ff"};
    std::string out;
    for (const auto& cp : split(id, '-')) {
        if (tones.count(cp)) continue;
        out += (out.empty() ? "" : "-") + cp;
    }
    return out;
}

bool blank(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isspace(c); });
}

/// Reads a query file and lists every malformed line; accepted ids must name an image of
/// `gallery` once their skin tones are stripped.
QueryFile read_query_file(const fs::path& path, const fs::path& gallery) {
    static const std::regex lang_re("[a-z]{2,3}(-[A-Za-z0-9]+)*");
    static const std::regex id_re("[0-9a-f]{4,6}(-[0-9a-f]{4,6})*");
    QueryFile qf;
    std::ifstream in(path);
    if (!in) {
        qf.problems.push_back("cannot read " + path.string());
        return qf;
    }
    std::set<std::pair<std::string, std::string>> seen;
    int n = 0;
    for (std::string line; std::getline(in, line);) {
        ++n;
        if (blank(line) || line[0] == '#') continue;
        auto problem = [&](const std::string& what) {
            qf.problems.push_back("line " + std::to_string(n) + ": " + what);
        };
        auto cols = split(line, '\t');
        if (cols.size() < 3 || cols.size() > 4) {
            problem("expected 3 or 4 tab-separated columns, got " + std::to_string(cols.size()));
            continue;
        }
        NlQuery q{cols[0], cols[1], {}};
        if (!std::regex_match(q.lang, lang_re)) problem("bad language code '" + q.lang + "'");
        if (blank(q.text)) problem("empty query");
        if (!seen.insert({q.lang, q.text}).second) problem("repeated query '" + q.text + "'");
        if (blank(cols[2])) problem("no accepted emoji");
        for (const auto& id : split(cols[2], ',')) {
            if (!std::regex_match(id, id_re))
                problem("bad emoji id '" + id + "' (lower-case hex code points joined by '-')");
            else if (!fs::exists(gallery / (strip_skin_tones(id) + ".png")))
                problem("no twitter image for '" + id + "'");
            else
                q.ids.push_back(id);
        }
        qf.queries.push_back(std::move(q));
    }
    return qf;
}

/// What keeps the set from being a usable benchmark ("" when nothing).
std::string set_problem(const QueryFile& qf, std::size_t min_queries = 50,
                        std::size_t min_langs = 8, std::size_t min_per_lang = 6) {
    std::map<std::string, std::size_t> per_lang;
    for (const auto& q : qf.queries) ++per_lang[q.lang];
    if (qf.queries.size() < min_queries)
        return std::to_string(qf.queries.size()) + " queries, fewer than " +
               std::to_string(min_queries);
    if (per_lang.size() < min_langs)
        return std::to_string(per_lang.size()) + " languages, fewer than " +
               std::to_string(min_langs);
    for (const auto& [lang, count] : per_lang)
        if (count < min_per_lang)
            return lang + " has " + std::to_string(count) + " queries, fewer than " +
                   std::to_string(min_per_lang);
    return "";
}

/// Writes `lines` (one per element) to `path`.
void write_lines(const fs::path& path, const std::vector<std::string>& lines) {
    std::ofstream out(path);
    for (const auto& l : lines) out << l << '\n';
}

/// Every CLDR name and keyword of `lang` (annotations and derived annotations), ASCII-lowered.
std::set<std::string> cldr_texts(const std::string& lang) {
    auto lower = [](std::string s) {
        for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
    };
    std::set<std::string> texts;
    const fs::path nm = qiss::test::source_dir() / "node_modules";
    const std::pair<const char*, const char*> sources[] = {
        {"cldr-annotations-full/annotations", "annotations"},
        {"cldr-annotations-derived-full/annotationsDerived", "annotationsDerived"}};
    for (const auto& [dir, key] : sources) {
        std::ifstream in(nm / dir / lang / "annotations.json");
        if (!in) continue;
        auto j = nlohmann::json::parse(in);
        for (const auto& [emoji, a] : j[key]["annotations"].items())
            for (const char* field : {"default", "tts"})
                if (a.contains(field))
                    for (const auto& t : a[field]) texts.insert(lower(t.get<std::string>()));
    }
    return texts;
}

}  // namespace

TEST(NlQueries, CommittedSetIsWellFormedAndLargeEnough) {
    ASSERT_TRUE(fs::is_directory(twitter_gallery())) << "run scripts/install-deps.sh";
    auto qf = read_query_file(committed_file(), twitter_gallery());
    for (const auto& p : qf.problems) ADD_FAILURE() << committed_file() << " " << p;
    EXPECT_EQ(set_problem(qf), "");
    EXPECT_GE(qf.queries.size(), 50u);
    for (const auto& q : qf.queries) EXPECT_FALSE(q.ids.empty()) << q.text;
}

TEST(NlQueries, MalformedLinesAreReported) {
    TempDir dir("nlq-malformed");
    const std::string good = "fr\tchat qui pleure\t1f63f";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"en\ta crying cat", "columns"},
        {"en\ta crying cat\t1f63f\tcrying_cat_face\textra", "columns"},
        {"en\t \t1f63f", "empty query"},
        {"en\t\t1f63f", "empty query"},
        {"en\ta crying cat\t", "no accepted emoji"},
        {"English\ta crying cat\t1f63f", "language"},
        {"en\ta crying cat\t1F63F", "bad emoji id"},
        {"en\ta crying cat\t😿", "bad emoji id"},
        {"en\ta crying cat\t1f63f,", "bad emoji id"},
        {"en\ta crying cat\t1f63f;1f408", "bad emoji id"},
        {"en\ta crying cat\t1f63f,1f6ff0", "no twitter image"},
        {"fr\tchat qui pleure\t1f63f", "repeated"},
    };
    for (const auto& [bad, what] : cases) {
        write_lines(dir / "q.tsv", {"# header", good, bad});
        auto qf = read_query_file(dir / "q.tsv", twitter_gallery());
        ASSERT_EQ(qf.problems.size(), 1u) << bad;
        EXPECT_NE(qf.problems[0].find("line 3: "), std::string::npos) << qf.problems[0];
        EXPECT_NE(qf.problems[0].find(what), std::string::npos) << bad << ": " << qf.problems[0];
    }
    auto missing = read_query_file(dir / "absent.tsv", twitter_gallery());
    ASSERT_EQ(missing.problems.size(), 1u);
    EXPECT_NE(missing.problems[0].find("cannot read"), std::string::npos);
}

TEST(NlQueries, SetSizeAndLanguageCountAreChecked) {
    TempDir dir("nlq-size");
    const std::vector<std::string> langs = {"en", "fr", "de", "es", "it", "pt", "ja", "zh"};
    auto make = [&](std::size_t n_langs, std::size_t per_lang) {
        std::vector<std::string> lines;
        for (std::size_t l = 0; l < n_langs; ++l)
            for (std::size_t i = 0; i < per_lang; ++i)
                lines.push_back(langs[l] + "\tquery " + std::to_string(i) + "\t1f408,1f431");
        write_lines(dir / "q.tsv", lines);
        auto qf = read_query_file(dir / "q.tsv", twitter_gallery());
        EXPECT_TRUE(qf.problems.empty());
        return set_problem(qf);
    };
    EXPECT_EQ(make(8, 7), "");                                     // 56 queries, 8 languages
    EXPECT_NE(make(8, 6).find("48 queries"), std::string::npos);   // too few queries
    EXPECT_NE(make(7, 8).find("7 languages"), std::string::npos);  // too few languages
    write_lines(dir / "q.tsv", {});
    EXPECT_NE(set_problem(read_query_file(dir / "q.tsv", twitter_gallery())), "");
}

TEST(NlQueries, SkinToneVariantsCountAsTheEmoji) {
    EXPECT_EQ(strip_skin_tones("1f44d-1f3fd"), "1f44d");
    EXPECT_EQ(strip_skin_tones("1f9d1-1f3fb-200d-1f52c"), "1f9d1-200d-1f52c");
    EXPECT_EQ(strip_skin_tones("2764-fe0f"), "2764-fe0f");
    TempDir dir("nlq-skin");
    // 1f44d-1f3fd names thumbs up, whose image is 1f44d.png once the tone is stripped.
    write_lines(dir / "q.tsv", {"en\tthumbs up from me\t1f44d-1f3fd"});
    auto qf = read_query_file(dir / "q.tsv", twitter_gallery());
    EXPECT_TRUE(qf.problems.empty()) << qf.problems[0];
}

TEST(NlQueries, OnlyTheIssueExamplesAreCldrTextVerbatim) {
    // CLDR names and keywords are the training text; the issue's own failing examples are kept
    // as they were reported, every other query is phrased by hand.
    const std::set<std::string> allowed = {"chat qui pleure", "pouce levé", "avion",
                                           "rotes herz",      "feuer",      "кошка"};
    auto qf = read_query_file(committed_file(), twitter_gallery());
    std::map<std::string, std::set<std::string>> cldr;
    for (const auto& q : qf.queries) {
        if (!cldr.count(q.lang)) cldr[q.lang] = cldr_texts(q.lang);
        ASSERT_FALSE(cldr[q.lang].empty()) << "no CLDR annotations for " << q.lang;
        std::string lower = q.text;
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (cldr[q.lang].count(lower)) {
            EXPECT_TRUE(allowed.count(lower)) << q.lang << " '" << q.text << "' is CLDR text";
        }
    }
}
