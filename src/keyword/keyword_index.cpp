#include "keyword/keyword_index.h"

#include <algorithm>
#include <cstring>
#include <mutex>
#include <optional>
#include <set>
#include <string_view>
#include <unordered_set>

#include <xapian.h>

#include "common/error.h"
#include "common/error_kind.h"
#include "text/fold.h"
#include "text/language.h"

namespace qiss {
namespace {

constexpr const char* kSeqKey = "qiss:applied_seq";
constexpr const char* kStoreKey = "qiss:store_id";
constexpr const char* kFormatKey = "qiss:format";
/// 2: each word with a Latin accent or ligature is also indexed folded ("crème" as "creme");
/// an index of format 1 is rebuilt from the store when a command with write access opens it.
constexpr const char* kFormat = "2";
constexpr const char* kOlderFormat = "1";
constexpr Xapian::valueno kIdSlot = 0;
constexpr const char* kTextTerm = "XT";  ///< on images with a caption, tags, title or description

std::string id_term(std::uint64_t id) {
    std::string term = "Q";
    term += std::to_string(id);
    return term;
}

std::string id_value(std::uint64_t id) {
    return {reinterpret_cast<const char*>(&id), sizeof id};
}

std::uint64_t id_of(const Xapian::Document& doc) {
    const std::string v = doc.get_value(kIdSlot);
    std::uint64_t id = 0;
    if (v.size() == sizeof id) std::memcpy(&id, v.data(), sizeof id);
    return id;
}

std::string hex(const StoreId& id) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s;
    for (const std::uint8_t b : id) {
        s += kDigits[b >> 4];
        s += kDigits[b & 15];
    }
    return s;
}

StoreId parse_hex(const std::string& s) {
    StoreId id{};
    if (s.size() != 2 * id.size()) return id;
    const auto digit = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    for (std::size_t i = 0; i < id.size(); ++i)
        id[i] = static_cast<std::uint8_t>(digit(s[2 * i]) << 4 | digit(s[2 * i + 1]));
    return id;
}

/// Xapian's stemmer for a BCP 47 code ("fr", "pt-BR"); the "none" stemmer if it has none.
Xapian::Stem stemmer_for(const std::string& code) {
    const std::string lang = code.substr(0, code.find('-'));
    if (lang.empty() || lang == "und") return Xapian::Stem();
    return Xapian::Stem(lang, /*fallback=*/true);
}

/// The words of `text` (split at white space) that fold_latin() changes, folded: what a
/// document adds to its words as written, and a query searches for besides them.
std::string folded_words(const std::string& text) {
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        const std::size_t start = text.find_first_not_of(" \t\r\n", i);
        if (start == std::string::npos) break;
        std::size_t end = text.find_first_of(" \t\r\n", start);
        if (end == std::string::npos) end = text.size();
        const std::string word = text.substr(start, end - start);
        const std::string folded = fold_latin(word);
        if (folded != word) {
            out += ' ';
            out += folded;
        }
        i = end;
    }
    return out;
}

/// Adds the string values of a JSON value (a string, or a list of strings) to `out`.
void append_strings(const nlohmann::json& v, std::string& out) {
    if (v.is_string()) {
        out += ' ';
        out += v.get<std::string>();
    } else if (v.is_array()) {
        for (const auto& item : v)
            if (item.is_string()) {
                out += ' ';
                out += item.get<std::string>();
            }
    }
}

/// Excludes removed and, when given, not-allowed ids from a match.
class IdDecider : public Xapian::MatchDecider {
  public:
    IdDecider(const std::unordered_set<std::uint64_t>& removed, const IdSet* allowed)
        : removed_(removed), allowed_(allowed) {}
    bool operator()(const Xapian::Document& doc) const override {
        const std::uint64_t id = id_of(doc);
        return !removed_.contains(id) && (!allowed_ || allowed_->contains(id));
    }

  private:
    const std::unordered_set<std::uint64_t>& removed_;
    const IdSet* allowed_;
};

/// A Xapian error met while reading: damage is a storage fault (the collection rebuilds the
/// keyword index), a database a writer replaced under a reader is "unavailable" (read again).
[[noreturn]] void throw_read_error(const Xapian::Error& e, const char* what) {
    if (std::string_view(e.get_type()) == "DatabaseModifiedError")
        QISS_THROW_KIND(unavailable, "keyword index changed during the {}: {}", what,
                        e.get_description());
    QISS_THROW_KIND(storage, "keyword index is damaged ({} failed: {})", what, e.get_description());
}

}  // namespace

std::string keyword_language(const DetectedLanguage& d) {
    return d.reliable ? d.code : "en";
}

std::string keyword_text(const ImageRecord& r) {
    std::string text = r.caption;
    if (r.metadata.is_object())
        for (const char* field : {"title", "description", "tags", "keywords"})
            if (const auto it = r.metadata.find(field); it != r.metadata.end())
                append_strings(*it, text);
    return text;
}

std::string file_name_words(const ImageRecord& r) {
    std::string name = std::filesystem::path(relative_source(r)).stem().string();
    for (char& c : name)
        if (c == '_' || c == '-' || c == '.' || c == '+') c = ' ';
    return name;
}

/// Creates an empty database at `dir` all at once: built next to it and renamed into place, so
/// that a process killed while Xapian creates its files leaves no half-made database behind.
void create_atomically(const std::filesystem::path& dir) {
    std::filesystem::path building = dir;
    building += ".new";
    std::filesystem::remove_all(building);  // left by a process killed while creating
    {
        Xapian::WritableDatabase db(building.string(), Xapian::DB_CREATE);
        db.set_metadata(kFormatKey, kFormat);
        db.commit();
    }
    std::filesystem::rename(building, dir);
}

struct KeywordIndex::Impl {
    mutable std::mutex mutex;
    bool writable = false;
    /// Writable: the database itself. Read-only: the in-memory overlay of what this process
    /// applied after the committed state.
    Xapian::WritableDatabase own;
    std::optional<Xapian::Database> committed;  ///< read-only only
    std::unordered_set<std::uint64_t> removed;  ///< read-only: committed ids removed since
    std::uint64_t applied = 0;
    StoreId store_id{};
    bool changed = true;  ///< writable: anything to commit

    /// The database searches read (caller holds the mutex).
    Xapian::Database searched() const {
        if (!committed) return own;
        Xapian::Database all(*committed);
        all.add_database(own);
        return all;
    }
    bool in_committed(std::uint64_t id) const {
        return committed &&
               committed->postlist_begin(id_term(id)) != committed->postlist_end(id_term(id));
    }
    void read_state(const Xapian::Database& db) {
        const std::string seq = db.get_metadata(kSeqKey);
        applied = seq.empty() ? 0 : std::stoull(seq);
        store_id = parse_hex(db.get_metadata(kStoreKey));
    }
    /// The query for `text`: its words as written OR'd with their stems, and the same for its
    /// words with a Latin accent or ligature, folded ("crème" also asks for "creme", which a
    /// document holds as written or as the folded form of its own "crème").
    Xapian::Query query(const std::string& text, const std::string& language) const {
        const std::string folded = folded_words(text);
        if (folded.empty()) return words_query(text, language);
        return Xapian::Query(Xapian::Query::OP_OR, words_query(text, language),
                             words_query(folded, language));
    }
    Xapian::Query words_query(const std::string& text, const std::string& language) const {
        Xapian::QueryParser raw;
        raw.set_stemming_strategy(Xapian::QueryParser::STEM_NONE);
        raw.set_default_op(Xapian::Query::OP_OR);
        Xapian::QueryParser stemmed;
        stemmed.set_stemmer(stemmer_for(language));
        stemmed.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
        stemmed.set_default_op(Xapian::Query::OP_OR);
        constexpr unsigned flags = Xapian::QueryParser::FLAG_CJK_NGRAM;
        return Xapian::Query(Xapian::Query::OP_OR, raw.parse_query(text, flags),
                             stemmed.parse_query(text, flags));
    }
};

KeywordIndex::KeywordIndex(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KeywordIndex::~KeywordIndex() = default;

std::unique_ptr<KeywordIndex> KeywordIndex::open(const std::filesystem::path& dir, bool writable) {
    auto impl = std::make_unique<Impl>();
    impl->writable = writable;
    try {
        if (writable) {
            if (!std::filesystem::exists(dir)) create_atomically(dir);
            impl->own = Xapian::WritableDatabase(dir.string(), Xapian::DB_OPEN);
            if (impl->own.get_metadata(kFormatKey) == kOlderFormat) {
                // Derived data of an older qiss: emptied here, filled again from the store by
                // the collection (an index with no store id and no log position).
                impl->own.close();
                std::filesystem::remove_all(dir);
                create_atomically(dir);
                impl->own = Xapian::WritableDatabase(dir.string(), Xapian::DB_OPEN);
            }
            const std::string format = impl->own.get_metadata(kFormatKey);
            QISS_CHECK(format.empty() || format == kFormat,
                       "keyword index {} has format {}, not {}", dir.string(), format, kFormat);
            impl->read_state(impl->own);
            impl->own.get_termfreq(kTextTerm);  // reads the posting table: damage shows now
        } else {
            impl->committed = Xapian::Database(dir.string());
            const std::string format = impl->committed->get_metadata(kFormatKey);
            QISS_CHECK(format == kFormat, "keyword index {} has format '{}', not {}", dir.string(),
                       format, kFormat);
            impl->own = Xapian::WritableDatabase(std::string(), Xapian::DB_BACKEND_INMEMORY);
            impl->read_state(*impl->committed);
            impl->committed->get_termfreq(kTextTerm);
        }
    } catch (const Xapian::Error& e) {
        QISS_THROW("keyword index {} is unreadable: {}", dir.string(), e.get_description());
    } catch (const std::filesystem::filesystem_error& e) {
        QISS_THROW("keyword index {} cannot be created: {}", dir.string(), e.code().message());
    } catch (const std::invalid_argument&) {
        QISS_THROW("keyword index {} is unreadable: a bad log position", dir.string());
    } catch (const std::out_of_range&) {
        QISS_THROW("keyword index {} is unreadable: a bad log position", dir.string());
    }
    return std::unique_ptr<KeywordIndex>(new KeywordIndex(std::move(impl)));
}

std::unique_ptr<KeywordIndex> KeywordIndex::in_memory() {
    auto impl = std::make_unique<Impl>();
    impl->own = Xapian::WritableDatabase(std::string(), Xapian::DB_BACKEND_INMEMORY);
    return std::unique_ptr<KeywordIndex>(new KeywordIndex(std::move(impl)));
}

StoreId KeywordIndex::store_id() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->store_id;
}

void KeywordIndex::set_store_id(const StoreId& id) {
    std::lock_guard lock(impl_->mutex);
    impl_->changed |= impl_->store_id != id;
    impl_->store_id = id;
}

std::uint64_t KeywordIndex::applied_seq() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->applied;
}

void KeywordIndex::set_applied_seq(std::uint64_t seq) {
    std::lock_guard lock(impl_->mutex);
    impl_->changed |= impl_->applied != seq;
    impl_->applied = seq;
}

void KeywordIndex::add(const ImageRecord& record) {
    const std::string text = keyword_text(record);
    const std::string name = file_name_words(record);
    Xapian::TermGenerator generator;
    generator.set_flags(Xapian::TermGenerator::FLAG_CJK_NGRAM);
    generator.set_stemmer(stemmer_for(keyword_language(detect_language(text))));
    generator.set_stemming_strategy(Xapian::TermGenerator::STEM_SOME);
    Xapian::Document doc;
    generator.set_document(doc);
    generator.index_text(text);
    generator.increase_termpos();
    generator.index_text(name);
    const std::string folded = folded_words(text + ' ' + name);
    if (!folded.empty()) {
        generator.increase_termpos();
        generator.index_text(folded);
    }
    if (text.find_first_not_of(" \t\r\n") != std::string::npos) doc.add_boolean_term(kTextTerm);
    doc.add_boolean_term(id_term(record.id));
    doc.add_value(kIdSlot, id_value(record.id));
    std::lock_guard lock(impl_->mutex);
    try {
        // A reader replaying the log meets images the committed state already holds (a writer's
        // database is committed when it closes, its log position only by commit()): a record
        // never changes, so that copy stands.
        if (impl_->in_committed(record.id) && !impl_->removed.contains(record.id)) return;
        impl_->own.replace_document(id_term(record.id), doc);
        impl_->removed.erase(record.id);
        impl_->changed = true;
    } catch (const Xapian::Error& e) {
        QISS_THROW_KIND(storage, "keyword index: cannot add image {}: {}", record.id,
                        e.get_description());
    }
}

void KeywordIndex::remove(std::uint64_t id) {
    std::lock_guard lock(impl_->mutex);
    try {
        impl_->own.delete_document(id_term(id));
        if (impl_->in_committed(id)) impl_->removed.insert(id);
        impl_->changed = true;
    } catch (const Xapian::Error& e) {
        QISS_THROW_KIND(storage, "keyword index: cannot remove image {}: {}", id,
                        e.get_description());
    }
}

std::size_t KeywordIndex::size() const {
    std::lock_guard lock(impl_->mutex);
    try {
        return impl_->searched().get_doccount() - impl_->removed.size();
    } catch (const Xapian::Error& e) {
        throw_read_error(e, "count");
    }
}

bool KeywordIndex::has_text() const {
    std::lock_guard lock(impl_->mutex);
    try {
        return impl_->searched().get_termfreq(kTextTerm) > 0;
    } catch (const Xapian::Error& e) {
        throw_read_error(e, "count");
    }
}

void KeywordIndex::commit() {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->writable || !impl_->changed) return;
    try {
        impl_->own.set_metadata(kFormatKey, kFormat);
        impl_->own.set_metadata(kSeqKey, std::to_string(impl_->applied));
        impl_->own.set_metadata(kStoreKey, hex(impl_->store_id));
        impl_->own.commit();
        impl_->changed = false;
    } catch (const Xapian::Error& e) {
        QISS_THROW_KIND(storage, "keyword index: cannot commit: {}", e.get_description());
    }
}

bool KeywordIndex::reopen() {
    std::lock_guard lock(impl_->mutex);
    if (!impl_->committed) return false;
    try {
        const std::string before = impl_->committed->get_metadata(kSeqKey);
        if (!impl_->committed->reopen() && impl_->committed->get_metadata(kSeqKey) == before)
            return false;
        impl_->own = Xapian::WritableDatabase(std::string(), Xapian::DB_BACKEND_INMEMORY);
        impl_->removed.clear();
        impl_->read_state(*impl_->committed);
        return true;
    } catch (const Xapian::Error& e) {
        QISS_THROW_KIND(storage, "keyword index: cannot reopen: {}", e.get_description());
    }
}

std::vector<KeywordHit> KeywordIndex::search(const std::string& text, const std::string& language,
                                             std::size_t k, const IdSet* allowed) const {
    std::vector<KeywordHit> hits;
    if (k == 0) return hits;
    std::lock_guard lock(impl_->mutex);
    try {
        const Xapian::Database db = impl_->searched();
        Xapian::Enquire enquire(db);
        enquire.set_query(impl_->query(text, language));
        // Equal weights by ascending docid, i.e. in the order the images were indexed.
        enquire.set_docid_order(Xapian::Enquire::ASCENDING);
        const IdDecider decider(impl_->removed, allowed);
        const Xapian::MSet mset =
            enquire.get_mset(0, static_cast<Xapian::doccount>(k), nullptr, &decider);
        for (auto it = mset.begin(); it != mset.end(); ++it)
            hits.push_back({id_of(it.get_document()), it.get_weight()});
    } catch (const Xapian::Error& e) {
        throw_read_error(e, "search");
    }
    return hits;
}

std::vector<std::string> KeywordIndex::matching_words(const std::string& text,
                                                      const std::string& language,
                                                      std::uint64_t id) const {
    std::vector<std::string> words;
    std::lock_guard lock(impl_->mutex);
    if (impl_->removed.contains(id)) return words;
    try {
        const Xapian::Database db = impl_->searched();
        const std::string term = id_term(id);
        const auto doc = db.postlist_begin(term);
        if (doc == db.postlist_end(term)) return words;
        std::set<std::string> matched;
        for (auto t = db.termlist_begin(*doc); t != db.termlist_end(*doc); ++t) matched.insert(*t);
        // The query's terms in query order; a stemmed term ("Zrun") stands for its words as
        // written ("running"), found by stemming each word of the text again.
        const Xapian::Stem stem = stemmer_for(language);
        Xapian::TermGenerator generator;
        generator.set_flags(Xapian::TermGenerator::FLAG_CJK_NGRAM);
        Xapian::Document words_doc;
        generator.set_document(words_doc);
        generator.index_text(text);
        std::vector<std::pair<Xapian::termpos, std::string>> ordered;
        for (auto t = words_doc.termlist_begin(); t != words_doc.termlist_end(); ++t) {
            const std::string word = *t;
            const auto matches = [&](const std::string& w) {
                std::string stemmed = "Z";
                stemmed += stem(w);
                return matched.contains(w) || matched.contains(stemmed);
            };
            const std::string folded = fold_latin(word);
            if (!matches(word) && (folded == word || !matches(folded))) continue;
            auto pos = t.positionlist_begin();
            ordered.emplace_back(pos != t.positionlist_end() ? *pos : 0, word);
        }
        std::sort(ordered.begin(), ordered.end());
        for (auto& [pos, word] : ordered) words.push_back(std::move(word));
    } catch (const Xapian::Error& e) {
        throw_read_error(e, "match");
    }
    return words;
}

}  // namespace qiss
