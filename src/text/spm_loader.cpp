#include "text/spm_loader.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include <fmt/format.h>

#include "common/error.h"

namespace qiss {
namespace {

/// dlopen with RTLD_DEEPBIND, so that the plugin binds to the protobuf inside libsentencepiece,
/// not to libtorch's (docs/architecture.md). AddressSanitizer's dlopen refuses DEEPBIND (the
/// plugin's own calls would bypass its allocator): a sanitized build calls glibc's dlopen
/// directly. That is safe here because no memory changes hands across the plugin's C ABI.
void* open_plugin(const char* path) {
    constexpr int kFlags = RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND;
#if defined(__SANITIZE_ADDRESS__)
    using DlopenFn = void* (*)(const char*, int);
    static const auto real_dlopen = [] {
        void* libc = ::dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
        return libc ? reinterpret_cast<DlopenFn>(::dlsym(libc, "dlopen")) : nullptr;
    }();
    if (real_dlopen) return real_dlopen(path, kFlags);
#endif
    return ::dlopen(path, kFlags);
}

std::vector<std::string> plugin_candidates() {
    std::vector<std::string> c;
    if (const char* env = std::getenv("QISS_SPM_PLUGIN")) c.emplace_back(env);
    std::error_code ec;
    auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
    // Inside libqiss.so (include/qiss/qiss.h), the program is anyone's: look next to the library
    // first. Installed: <libdir>/libqiss.so and <prefix>/lib/qiss/libqiss_spm.so, where <libdir>
    // is <prefix>/lib or a multiarch <prefix>/lib/<triplet>; in the build tree, side by side.
    Dl_info self{};
    if (::dladdr(reinterpret_cast<void*>(&plugin_candidates), &self) && self.dli_fname &&
        *self.dli_fname) {
        std::error_code ec_lib;
        auto lib = std::filesystem::canonical(self.dli_fname, ec_lib);
        if (!ec_lib && (ec || lib != std::filesystem::weakly_canonical(exe, ec_lib))) {
            c.push_back((lib.parent_path() / "libqiss_spm.so").string());
            c.push_back((lib.parent_path() / "qiss" / "libqiss_spm.so").string());
            c.push_back((lib.parent_path().parent_path() / "qiss" / "libqiss_spm.so").string());
        }
    }
    if (!ec) {
        c.push_back((exe.parent_path() / "libqiss_spm.so").string());
        c.push_back((exe.parent_path().parent_path() / "libqiss_spm.so").string());
        c.push_back((exe.parent_path().parent_path() / "lib" / "libqiss_spm.so").string());
        // Installed: <prefix>/bin/qiss and <prefix>/lib/qiss/libqiss_spm.so (cmake --install).
        c.push_back((exe.parent_path().parent_path() / "lib" / "qiss" / "libqiss_spm.so").string());
    }
    return c;
}

}  // namespace

const SpmPlugin& spm_plugin() {
    static const SpmPlugin p = [] {
        SpmPlugin p;
        void* lib = nullptr;
        std::string tried;
        for (const auto& path : plugin_candidates()) {
            if (!std::filesystem::exists(path)) continue;
            lib = open_plugin(path.c_str());
            if (lib) {
                p.path = path;
                break;
            }
            tried += fmt::format(" {} ({})", path, ::dlerror());
        }
        QISS_CHECK(lib,
                   "cannot load the SentencePiece plugin libqiss_spm.so (set QISS_SPM_PLUGIN):{}",
                   tried.empty() ? " not found" : tried);
        auto sym = [&](const char* name) {
            void* s = ::dlsym(lib, name);
            QISS_CHECK(s, "SentencePiece plugin lacks {}", name);
            return s;
        };
        p.load = reinterpret_cast<decltype(p.load)>(sym("qiss_spm_load"));
        p.free = reinterpret_cast<decltype(p.free)>(sym("qiss_spm_free"));
        p.encode = reinterpret_cast<decltype(p.encode)>(sym("qiss_spm_encode"));
        p.vocab_size = reinterpret_cast<decltype(p.vocab_size)>(sym("qiss_spm_vocab_size"));
        p.pad_id = reinterpret_cast<decltype(p.pad_id)>(sym("qiss_spm_pad_id"));
        p.unk_id = reinterpret_cast<decltype(p.unk_id)>(sym("qiss_spm_unk_id"));
        p.is_byte = reinterpret_cast<decltype(p.is_byte)>(sym("qiss_spm_is_byte"));
        p.train = reinterpret_cast<decltype(p.train)>(sym("qiss_spm_train"));
        p.free_buffer = reinterpret_cast<decltype(p.free_buffer)>(sym("qiss_spm_free_buffer"));
        return p;
    }();
    return p;
}

}  // namespace qiss
