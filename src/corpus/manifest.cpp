#include "corpus/manifest.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>
#include <unordered_map>
#include <unordered_set>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/file_util.h"

namespace qiss {
namespace fs = std::filesystem;

const char* split_name(Split s) {
    switch (s) {
        case Split::Train:
            return "train";
        case Split::Val:
            return "val";
        case Split::Test:
            return "test";
    }
    QISS_ASSERT(false);
}

Split parse_split(const std::string& s) {
    if (s == "train") return Split::Train;
    if (s == "val") return Split::Val;
    if (s == "test") return Split::Test;
    QISS_THROW("unknown split '{}' (expected train, val or test)", s);
}

std::string locale_language(const std::string& locale) {
    return locale.substr(0, locale.find_first_of("-_"));
}

fs::path manifest_path(const fs::path& corpus_dir) {
    return corpus_dir / "manifest.jsonl";
}

fs::path resolve_manifest(const fs::path& corpus) {
    if (fs::is_directory(corpus)) return manifest_path(corpus);
    QISS_CHECK(fs::is_regular_file(corpus),
               "corpus '{}' not found (expected a folder with manifest.jsonl, or a manifest file)",
               corpus.string());
    return corpus;
}

const TextsByLocale& ManifestEntry::captions() const {
    static const TextsByLocale none;
    return texts ? texts->captions : none;
}

const TextsByLocale& ManifestEntry::keywords() const {
    static const TextsByLocale none;
    return texts ? texts->keywords : none;
}

namespace {

bool blank(const std::string& s) {
    return s.find_first_not_of(" \t\r\n") == std::string::npos;
}

TextsByLocale texts_by_locale(const nlohmann::json& j, const char* field) {
    TextsByLocale out;
    if (!j.contains(field)) return out;
    const auto& obj = j.at(field);
    QISS_CHECK(obj.is_object(), "'{}' must be an object of locale -> list of strings", field);
    for (const auto& [loc, list] : obj.items()) {
        QISS_CHECK(list.is_array(), "'{}.{}' must be a list of strings", field, loc);
        auto& v = out[loc];
        for (const auto& t : list) {
            QISS_CHECK(t.is_string(), "'{}.{}' must be a list of strings", field, loc);
            QISS_CHECK(!blank(t.get<std::string>()), "empty text in '{}.{}'", field, loc);
            v.push_back(t.get<std::string>());
        }
        if (v.empty()) out.erase(loc);
    }
    return out;
}

/// The line's own texts (null when it has none).
std::shared_ptr<const EntryTexts> texts_of(const nlohmann::json& j) {
    auto t = std::make_shared<EntryTexts>();
    t->captions = texts_by_locale(j, "captions");
    t->keywords = texts_by_locale(j, "keywords");
    if (t->empty()) return nullptr;
    return t;
}

enum class LineKind { Blank, Image, Identity, Bad };

/// One line of the file, parsed on its own.
struct ParsedLine {
    LineKind kind = LineKind::Blank;
    ManifestEntry entry;                               ///< Image: with its own texts, if any
    bool own_texts = false;                            ///< Image: has `captions` or `keywords`
    std::string identity;                              ///< Identity: its id
    std::shared_ptr<const EntryTexts> identity_texts;  ///< Identity: its texts
    std::string error;                                 ///< Bad: why
};

void parse_line(const std::string& line, const fs::path& base, ParsedLine& out) {
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::exception&) {
        QISS_THROW("not valid JSON");
    }
    QISS_CHECK(j.is_object(), "not a JSON object");
    if (!j.contains("path") && j.contains("identity")) {
        QISS_CHECK(j["identity"].is_string() && !blank(j["identity"]),
                   "empty or non-string 'identity'");
        out.identity_texts = texts_of(j);
        QISS_CHECK(out.identity_texts, "identity line without 'captions' or 'keywords'");
        out.identity = j["identity"].get<std::string>();
        out.kind = LineKind::Identity;
        return;
    }
    QISS_CHECK(j.contains("path") && j["path"].is_string() && !blank(j["path"]), "missing 'path'");
    ManifestEntry& e = out.entry;
    fs::path p = j["path"].get<std::string>();
    e.path = p.is_absolute() ? p : base / p;
    QISS_CHECK(fs::is_regular_file(e.path), "{}: no such file", e.path.string());
    e.id = j.value("id", j["path"].get<std::string>());
    e.vendor = j.value("vendor", "");
    e.split = parse_split(j.value("split", "train"));
    e.texts = texts_of(j);
    out.own_texts = j.contains("captions") || j.contains("keywords");
    out.kind = LineKind::Image;
}

/// Builds the manifest from the parsed lines, in file order: identity lines are collected,
/// equal texts of one id are shared, problems become warnings.
class Assembler {
  public:
    Assembler(const std::string& name, Manifest& m) : name_(name), m_(m) {}

    void add(ParsedLine& line, std::size_t n) {
        switch (line.kind) {
            case LineKind::Blank:
                return;
            case LineKind::Bad:
                return warn(n, line.error);
            case LineKind::Identity:
                if (!identities_.try_emplace(line.identity, line.identity_texts).second)
                    warn(n, fmt::format("a second identity line for '{}' (the first is kept)",
                                        line.identity));
                return;
            case LineKind::Image:
                if (!line.own_texts) without_texts_.push_back(m_.entries.size());
                if (line.entry.texts) line.entry.texts = shared(line.entry.id, line.entry.texts);
                m_.entries.push_back(std::move(line.entry));
                return;
        }
    }

    /// Gives the image lines without texts those of their identity line.
    void finish() {
        for (auto i : without_texts_) {
            auto it = identities_.find(m_.entries[i].id);
            if (it != identities_.end()) m_.entries[i].texts = it->second;
        }
    }

  private:
    void warn(std::size_t n, const std::string& why) {
        ManifestWarning w{n, fmt::format("{}:{}: skipped: {}", name_, n, why)};
        spdlog::warn("{}", w.message);
        m_.warnings.push_back(std::move(w));
    }

    /// The previous text set of the same id if equal (an old manifest repeats the texts of an
    /// identity on each of its lines), else `t`.
    std::shared_ptr<const EntryTexts> shared(const std::string& id,
                                             std::shared_ptr<const EntryTexts> t) {
        auto& last = last_texts_[id];
        if (!last || !(*last == *t)) last = std::move(t);
        return last;
    }

    const std::string& name_;
    Manifest& m_;
    std::unordered_map<std::string, std::shared_ptr<const EntryTexts>> identities_;
    std::unordered_map<std::string, std::shared_ptr<const EntryTexts>> last_texts_;
    std::vector<std::size_t> without_texts_;
};

}  // namespace

Manifest read_manifest(const fs::path& file) {
    std::ifstream in(file);
    QISS_CHECK(in.good(), "{}: cannot open manifest", file.string());
    return read_manifest(in, fs::absolute(file).parent_path(), file.string());
}

Manifest read_manifest(std::istream& in, const fs::path& base, const std::string& name) {
    Manifest m;
    Assembler assembler(name, m);
    // Lines are independent: parse them in chunks on every core (an old-format corpus manifest
    // repeats ~170 locales of texts on each line), then assemble them in file order.
    constexpr std::size_t kChunkLines = 4096;
    std::vector<std::string> lines;
    std::vector<ParsedLine> parsed;
    for (std::size_t first = 1; in;) {
        lines.clear();
        for (std::string line; lines.size() < kChunkLines && std::getline(in, line);)
            lines.push_back(std::move(line));
        parsed.assign(lines.size(), ParsedLine{});
        const auto n = static_cast<std::int64_t>(lines.size());
#pragma omp parallel for schedule(dynamic, 16)
        for (std::int64_t i = 0; i < n; ++i) {
            if (blank(lines[i])) continue;
            try {
                parse_line(lines[i], base, parsed[i]);
            } catch (const std::exception& e) {
                parsed[i] = ParsedLine{};
                parsed[i].kind = LineKind::Bad;
                parsed[i].error = e.what();
            }
        }
        for (std::size_t i = 0; i < parsed.size(); ++i) assembler.add(parsed[i], first + i);
        first += lines.size();
    }
    assembler.finish();
    return m;
}

namespace {

/// Per id, the texts written once on its identity line: the non-empty texts shared by most
/// of its entries (at least two; the first such on a tie). Ids without are absent.
std::unordered_map<std::string, const EntryTexts*> identity_texts(
    const std::vector<ManifestEntry>& entries) {
    struct Count {
        std::size_t n = 0, first = 0;
    };
    struct ByValue {
        bool operator()(const EntryTexts* a, const EntryTexts* b) const { return *a < *b; }
    };
    struct PerId {
        std::map<const EntryTexts*, Count, ByValue> counts;
        const EntryTexts* last = nullptr;  // entries of one id usually share one pointer
        Count* last_count = nullptr;
    };
    std::unordered_map<std::string, PerId> per_id;
    for (std::size_t i = 0; i < entries.size(); ++i) {
        const ManifestEntry& e = entries[i];
        if (!e.texts || e.texts->empty()) continue;
        PerId& p = per_id[e.id];
        if (p.last != e.texts.get()) {
            auto it = p.counts.try_emplace(e.texts.get(), Count{0, i}).first;
            p.last = e.texts.get();
            p.last_count = &it->second;
        }
        ++p.last_count->n;
    }
    std::unordered_map<std::string, const EntryTexts*> out;
    for (const auto& [id, p] : per_id) {
        auto best =
            std::max_element(p.counts.begin(), p.counts.end(), [](const auto& a, const auto& b) {
                return a.second.n < b.second.n ||
                       (a.second.n == b.second.n && a.second.first > b.second.first);
            });
        if (best->second.n >= 2) out.emplace(id, best->first);
    }
    return out;
}

template <class Json>
void put_texts(Json& j, const EntryTexts& t) {
    if (!t.captions.empty()) j["captions"] = t.captions;
    if (!t.keywords.empty()) j["keywords"] = t.keywords;
}

}  // namespace

void write_manifest(const fs::path& file, const std::vector<ManifestEntry>& entries) {
    fs::path base = fs::absolute(file).parent_path();
    const auto shared = identity_texts(entries);
    std::unordered_set<std::string> written;
    std::ostringstream out;
    for (const auto& e : entries) {
        auto id_texts = shared.find(e.id);
        const EntryTexts* common = id_texts == shared.end() ? nullptr : id_texts->second;
        if (common && written.insert(e.id).second) {
            nlohmann::ordered_json j = {{"identity", e.id}};  // the id first, then its texts
            put_texts(j, *common);
            out << j.dump() << '\n';
        }
        fs::path p = fs::absolute(e.path);
        auto rel = p.lexically_relative(base);
        bool inside = !rel.empty() && *rel.begin() != "..";
        nlohmann::json j = {{"path", inside ? rel.string() : p.string()},
                            {"id", e.id},
                            {"split", split_name(e.split)}};
        if (!e.vendor.empty()) j["vendor"] = e.vendor;
        const bool has_texts = e.texts && !e.texts->empty();
        if (has_texts && !(common && (e.texts.get() == common || *e.texts == *common)))
            put_texts(j, *e.texts);
        else if (!has_texts && common)
            j["captions"] = nlohmann::json::object();  // none of its own, not the identity's
        out << j.dump() << '\n';
    }
    write_file_atomic(file, out.str());
}

}  // namespace qiss
