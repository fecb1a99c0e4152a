#include "index/id_set.h"

#include <algorithm>

#include "common/error.h"

namespace qiss {

IdSet::IdSet(std::vector<std::uint64_t> ids) : ids_(std::move(ids)) {
    QISS_ASSERT(std::adjacent_find(ids_.begin(), ids_.end(), std::greater_equal<>()) == ids_.end());
    if (ids_.empty()) return;
    bits_.assign((ids_.back() >> 6) + 1, 0);
    for (std::uint64_t id : ids_) bits_[id >> 6] |= std::uint64_t{1} << (id & 63);
}

}  // namespace qiss
