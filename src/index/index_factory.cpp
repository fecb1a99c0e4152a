#include "index/index_factory.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "common/error.h"

namespace qiss {

int default_ivf_nlist(std::size_t n_vectors) {
    // 4·√n lists keeps both the coarse quantizer (nlist centroids) and each probed list
    // (n / nlist vectors) small; a power of two rounds it to a familiar value. 65,536 lists
    // already need about 2.5 M training vectors (39 per centroid), the most we want to train on.
    const double target = 4.0 * std::sqrt(static_cast<double>(n_vectors));
    if (target <= 1.0) return 1;
    const int log2 = static_cast<int>(std::lround(std::log2(target)));
    return 1 << std::min(log2, 16);
}

std::string default_index_factory(std::size_t n_vectors, int dim) {
    QISS_CHECK(dim > 0, "index dimension must be positive, got {}", dim);
    if (n_vectors < kFlatMaxVectors) return "Flat";
    if (n_vectors <= kHnswMaxVectors) return "HNSW32";
    // PQ with one byte per 8 dimensions; m must divide dim.
    int m = std::max(1, dim / 8);
    while (dim % m != 0) --m;
    // An HNSW graph over the centroids finds the nprobe nearest lists without scanning them all.
    return fmt::format("IVF{}_HNSW32,PQ{}x8np", default_ivf_nlist(n_vectors), m);
}

}  // namespace qiss
