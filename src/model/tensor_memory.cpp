#include "model/tensor_memory.h"

#include <malloc.h>

#include <cstdlib>
#include <initializer_list>

namespace qiss {

bool keep_tensor_memory() {
    for (const char* name : {"MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "GLIBC_TUNABLES"})
        if (std::getenv(name) != nullptr) return false;
    constexpr int kMmapThreshold = 512 << 20;
    constexpr int kTrimThreshold = 1 << 30;
    return ::mallopt(M_MMAP_THRESHOLD, kMmapThreshold) == 1 &&
           ::mallopt(M_TRIM_THRESHOLD, kTrimThreshold) == 1;
}

}  // namespace qiss
