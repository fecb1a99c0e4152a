#pragma once
/// @file id_set.h
/// A set of caller ids that restricts a search (a filter's matches): the ids in ascending order
/// for exact scans, and a bitmap for the membership test FAISS makes per candidate.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace qiss {

class IdSet {
  public:
    IdSet() = default;
    /// `ids` must be ascending and distinct.
    explicit IdSet(std::vector<std::uint64_t> ids);

    bool contains(std::int64_t id) const {
        const auto u = static_cast<std::uint64_t>(id);
        return id >= 0 && (u >> 6) < bits_.size() && ((bits_[u >> 6] >> (u & 63)) & 1u);
    }
    std::size_t size() const { return ids_.size(); }
    bool empty() const { return ids_.empty(); }
    /// Ascending.
    const std::vector<std::uint64_t>& ids() const { return ids_; }

  private:
    std::vector<std::uint64_t> ids_;
    std::vector<std::uint64_t> bits_;
};

}  // namespace qiss
