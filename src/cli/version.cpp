#include "cli/version.h"

#include <faiss/Index.h>
#include <lmdb.h>
#include <torch/version.h>

#include <boost/version.hpp>
#include <opencv2/core/version.hpp>

#include <fmt/format.h>

#include "engine/collection.h"
#include "index/simd_flat.h"
#include "qiss_commit.h"
#include "text/spm_loader.h"

namespace qiss::cli {

std::string version_text() {
    std::string plugin;
    try {
        plugin = spm_plugin().path;
    } catch (const std::exception& e) {
        plugin = fmt::format("not found ({})", e.what());
    }
    const auto model = default_model_path();
    return fmt::format(
        "qiss {} (commit {})\n"
        "libtorch {}, FAISS {}.{}.{}, LMDB {}.{}.{}, OpenCV {}, Boost {}.{}\n"
        "search kernel: {} (CPU: avx2 {}, fma {}, avx512f {})\n"
        "SentencePiece plugin: {}\n"
        "default model: {}",
        QISS_VERSION, QISS_COMMIT, TORCH_VERSION, FAISS_VERSION_MAJOR, FAISS_VERSION_MINOR,
        FAISS_VERSION_PATCH, MDB_VERSION_MAJOR, MDB_VERSION_MINOR, MDB_VERSION_PATCH, CV_VERSION,
        BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000, simd_kernel_name(),
        __builtin_cpu_supports("avx2") ? "yes" : "no", __builtin_cpu_supports("fma") ? "yes" : "no",
        __builtin_cpu_supports("avx512f") ? "yes" : "no", plugin,
        model.empty() ? std::string("none found (set $QISS_MODEL)") : model.string());
}

}  // namespace qiss::cli
