#include "corpus/fillers.h"

#include <algorithm>
#include <fstream>

#include <nlohmann/json.hpp>

#include "common/error.h"
#include "common/file_util.h"
#include "text/utf8.h"

namespace qiss {
namespace {

constexpr const char* kHeader = "# qiss fillers 1";

/// Punctuation and symbols that are not letters: ASCII non-letters, general punctuation,
/// CJK symbols and punctuation, full-width ASCII punctuation.
bool is_letter_like(char32_t cp) {
    if (cp < 0x80) return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
    if (cp >= 0x2000 && cp <= 0x206F) return false;
    if (cp >= 0x3000 && cp <= 0x303F) return false;
    if (cp >= 0xFF00 && cp <= 0xFF20) return false;
    if (cp >= 0xFF3B && cp <= 0xFF40) return false;
    if (cp >= 0xFF5B && cp <= 0xFF65) return false;
    return true;
}

bool usable_word(const std::string& w) {
    if (w.empty() || !is_valid_utf8(w) || w.find_first_of("\t\r\n") != std::string::npos)
        return false;
    for (std::size_t i = 0; i < w.size();) {
        std::size_t n = 0;
        if (is_letter_like(decode_utf8_at(w, i, n))) return true;
        i += n;
    }
    return false;
}

void sort_unique(std::vector<std::string>& v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
}

}  // namespace

FillerWords read_fillers(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    QISS_CHECK(in, "cannot read the filler words {}", path.string());
    std::string line;
    QISS_CHECK(std::getline(in, line) && line == kHeader,
               "{} is not a fillers file: its first line must be '{}' (docs/format.md)",
               path.string(), kHeader);
    FillerWords out;
    for (std::size_t n = 2; std::getline(in, line); ++n) {
        if (line.empty()) continue;
        const auto tab = line.find('\t');
        QISS_CHECK(tab != std::string::npos && tab > 0 && tab + 1 < line.size() &&
                       line.find('\t', tab + 1) == std::string::npos,
                   "{}:{}: expected LANGUAGE<TAB>WORD", path.string(), n);
        std::string word = line.substr(tab + 1);
        QISS_CHECK(is_valid_utf8(word), "{}:{}: the word is not valid UTF-8", path.string(), n);
        out[line.substr(0, tab)].push_back(std::move(word));
    }
    for (auto& [_, words] : out) sort_unique(words);
    return out;
}

void write_fillers(const std::filesystem::path& path, const FillerWords& words) {
    std::string text = std::string(kHeader) + "\n";
    for (const auto& [lang, list] : words)
        for (const auto& w : list) text += lang + "\t" + w + "\n";
    write_file_atomic(path, text);
}

FillerWords fillers_from_stopwords_iso(const std::filesystem::path& json_path) {
    QISS_CHECK(std::filesystem::is_regular_file(json_path),
               "{} not found: run scripts/install-deps.sh (or pass --node-modules)",
               json_path.string());
    FillerWords out;
    try {
        const auto j = nlohmann::json::parse(read_file_bytes(json_path));
        for (const auto& [lang, list] : j.items()) {
            auto& words = out[lang];
            for (const auto& w : list)
                if (usable_word(w.get<std::string>())) words.push_back(w.get<std::string>());
            sort_unique(words);
        }
    } catch (const nlohmann::json::exception& e) {
        QISS_THROW("{} is not stopwords-iso's language -> words lists: {}", json_path.string(),
                   e.what());
    }
    return out;
}

}  // namespace qiss
