// The keyword side of a collection (keyword/keyword_index.h): derived data like the vector
// index, in DATADIR/keywords, kept up to date from the store's log and committed with the index
// file, so that after a crash both are brought up to date from the same log.
#include <filesystem>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "common/error.h"
#include "common/error_kind.h"
#include "engine/collection.h"

namespace qiss {
namespace fs = std::filesystem;

namespace {

constexpr const char* kKeywordsDir = "keywords";

}  // namespace

std::string Collection::keywords_mismatch(const KeywordIndex& keywords) const {
    const fs::path dir = dir_ / kKeywordsDir;
    if (keywords.store_id() != StoreId{} && keywords.store_id() != store_->id())
        return fmt::format(
            "keyword index {} was built from another image store than {} (copied from another "
            "collection, or the store was replaced or lost)",
            dir.string(), store_->dir().string());
    if (keywords.applied_seq() > store_->last_seq())
        return fmt::format(
            "keyword index {} reflects operation {} of the store's log, but the store {} has "
            "only {} (the store was replaced or lost?)",
            dir.string(), keywords.applied_seq(), store_->dir().string(), store_->last_seq());
    return "";
}

void Collection::fill_keywords(KeywordIndex& keywords) const {
    const std::uint64_t seq =
        store_->for_each_record([&](const ImageRecord& record) { keywords.add(record); });
    keywords.set_applied_seq(seq);
    keywords.set_store_id(store_->id());
}

/// A keyword index of every stored record, in DATADIR/keywords (in memory when read-only).
void Collection::open_keywords() {
    const fs::path dir = dir_ / kKeywordsDir;
    std::string problem;
    if (fs::exists(dir) || !read_only_) {
        try {
            keywords_ = KeywordIndex::open(dir, !read_only_);
            problem = keywords_mismatch(*keywords_);
        } catch (const Error& e) {
            problem = e.what();
        }
    }
    if (!problem.empty()) {
        rebuild_keywords(problem);
    } else if (!keywords_) {
        keywords_ = KeywordIndex::in_memory();
        fill_keywords(*keywords_);
    } else if (keywords_->store_id() == StoreId{} && keywords_->applied_seq() == 0 &&
               store_->count() > 0) {
        // New next to an existing store (a collection of an older qiss): fill it.
        fill_keywords(*keywords_);
    }
    sync_keywords();
    commit_keywords();
}

void Collection::rebuild_keywords(const std::string& problem) const {
    const fs::path dir = dir_ / kKeywordsDir;
    std::lock_guard lock(keywords_mutex_);
    keywords_.reset();  // closes the database before it is moved
    set_index_file_aside(dir, problem, "keyword index");
    std::shared_ptr<KeywordIndex> fresh =
        read_only_ ? KeywordIndex::in_memory() : KeywordIndex::open(dir, true);
    fill_keywords(*fresh);
    keywords_ = std::move(fresh);
}

std::shared_ptr<KeywordIndex> Collection::sync_keywords() const {
    std::lock_guard lock(keywords_mutex_);
    if (read_only_ && keywords_->reopen())
        spdlog::debug("keyword index: reopened at operation {}", keywords_->applied_seq());
    const std::uint64_t applied = keywords_->applied_seq();
    if (store_->last_seq() <= applied) return keywords_;
    std::vector<std::pair<StoreOp, std::uint64_t>> ops;
    const std::uint64_t last =
        store_->for_each_op_after(applied, [&](std::uint64_t, StoreOp op, std::uint64_t id,
                                               const float*) { ops.emplace_back(op, id); });
    for (const auto& [op, id] : ops) {
        if (op == StoreOp::Remove) {
            keywords_->remove(id);
        } else if (const auto record = store_->get(id)) {
            keywords_->add(*record);
        }  // else removed since: its removal follows in the log
    }
    keywords_->set_applied_seq(last);
    return keywords_;
}

template <typename F>
auto Collection::with_keywords(F&& use) const {
    for (int attempt = 0;; ++attempt) {
        try {
            return use(*sync_keywords());
        } catch (const Error& e) {
            const ErrorKind kind = error_kind(e);
            if (attempt >= 2 || (kind != ErrorKind::storage && kind != ErrorKind::unavailable))
                throw;
            if (kind == ErrorKind::storage) rebuild_keywords(e.what());
        }
    }
}

void Collection::commit_keywords() {
    // Not yet opened: open_index() saves a rebuilt index before open_keywords() runs.
    if (read_only_ || !keywords_) return;
    with_keywords([](KeywordIndex& k) {
        k.commit();
        return 0;
    });
}

std::vector<KeywordHit> Collection::keyword_search(const std::string& text,
                                                   const std::string& language, std::size_t k,
                                                   const IdSet* allowed) const {
    return with_keywords(
        [&](const KeywordIndex& index) { return index.search(text, language, k, allowed); });
}

std::vector<std::string> Collection::keyword_matches(const std::string& text,
                                                     const std::string& language,
                                                     std::uint64_t id) const {
    return with_keywords(
        [&](const KeywordIndex& index) { return index.matching_words(text, language, id); });
}

std::size_t Collection::keyword_count() const {
    return with_keywords([](const KeywordIndex& index) { return index.size(); });
}

bool Collection::has_text() const {
    return with_keywords([](const KeywordIndex& index) { return index.has_text(); });
}

}  // namespace qiss
