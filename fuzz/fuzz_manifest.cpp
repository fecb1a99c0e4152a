// The corpus manifest reader (read_manifest, every line through the real line parser), then a
// round trip: what write_manifest writes of the entries must read back as the same entries.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "common/error.h"
#include "corpus/manifest.h"
#include "fuzz_util.h"

namespace {

namespace fs = std::filesystem;

/// The folder relative paths resolve against, with a few files that lines may name.
const fs::path& base_dir() {
    static const fs::path dir = [] {
        const fs::path d = qiss::fuzz::scratch_dir() / "corpus";
        fs::create_directories(d / "sub");
        for (const char* name : {"a.png", "b.jpg", "sub/c.gif"})
            qiss::fuzz::scratch_file(fs::path("corpus") / name, "x");
        return d;
    }();
    return dir;
}

bool same_texts(const qiss::ManifestEntry& a, const qiss::ManifestEntry& b) {
    return a.captions() == b.captions() && a.keywords() == b.keywords();
}

[[noreturn]] void mismatch(std::size_t i, const char* what) {
    std::fprintf(stderr, "manifest round trip: entry %zu differs (%s)\n", i, what);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    qiss::fuzz::quiet_logs();
    base_dir();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::istringstream in(qiss::fuzz::bytes_of(data, size));
    qiss::Manifest m;
    try {
        m = qiss::read_manifest(in, base_dir(), "input");
    } catch (const qiss::Error&) {
        return 0;
    }
    if (m.entries.empty()) return 0;
    const fs::path file = base_dir() / "manifest.jsonl";
    qiss::write_manifest(file, m.entries);
    const qiss::Manifest again = qiss::read_manifest(file);
    if (!again.warnings.empty()) {
        std::fprintf(stderr, "manifest round trip: %s\n", again.warnings[0].message.c_str());
        std::abort();
    }
    if (again.entries.size() != m.entries.size()) mismatch(again.entries.size(), "count");
    for (std::size_t i = 0; i < m.entries.size(); ++i) {
        const auto& a = m.entries[i];
        const auto& b = again.entries[i];
        if (a.path.lexically_normal() != b.path.lexically_normal()) mismatch(i, "path");
        if (a.id != b.id) mismatch(i, "id");
        if (a.vendor != b.vendor) mismatch(i, "vendor");
        if (a.split != b.split) mismatch(i, "split");
        if (!same_texts(a, b)) mismatch(i, "texts");
    }
    return 0;
}
