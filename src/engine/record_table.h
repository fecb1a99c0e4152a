#pragma once
/// @file record_table.h
/// The filterable part of every stored record, in memory: what a filtered search scans to find
/// the ids that match (engine/filter.h). Derived data, like the vector index: built from the
/// store on first use, then brought up to date from the store's operation log before each
/// selection, whoever wrote (this process or another).

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/filter.h"
#include "index/id_set.h"
#include "store/image_store.h"

namespace qiss {

class RecordTable {
  public:
    /// Applies what the store holds beyond what the table reflects (all of it the first time).
    void sync(const ImageStore& store);
    /// The ids of the live records that pass `filter`. Throws qiss::Error (not_found) when the
    /// filter names a field that no record has ever had (a misspelt field, rather than a value
    /// that matches nothing).
    IdSet select(const Filter& filter) const;
    /// Live records.
    std::size_t size() const { return live_; }
    /// The store's operation-log position the table reflects (0 before the first sync()).
    std::uint64_t synced_to() const { return seq_; }

  private:
    struct Row {
        std::uint64_t id = 0;
        std::int64_t added_ms = 0;
        int width = 0, height = 0;
        std::uint32_t format = 0, root = 0;
        std::string source;
        /// relative_source(): `source` from this offset, or `relative` when it is not a suffix.
        std::size_t relative_at = 0;
        std::string relative;
        std::string_view relative_source() const {
            return relative.empty() ? std::string_view(source).substr(relative_at) : relative;
        }
        std::vector<std::uint32_t> values;  ///< interned "field\x1fvalue", ascending
        bool live = true;
    };
    void insert(const ImageRecord& record);
    void erase(std::uint64_t id);
    std::uint32_t intern(const std::string& text);
    /// The interned number of `text`, or -1 if no record has it.
    std::int64_t find(const std::string& text) const;

    std::vector<Row> rows_;  ///< ascending ids (the store assigns them in order)
    std::size_t live_ = 0;
    std::uint64_t seq_ = 0;  ///< the store's log position reflected
    bool built_ = false;
    std::unordered_map<std::string, std::uint32_t> interned_;
    std::unordered_set<std::string> field_names_;  ///< every field a record has had
};

}  // namespace qiss
