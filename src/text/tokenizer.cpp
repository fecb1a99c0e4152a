#include "text/tokenizer.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <random>

#include <fmt/format.h>

#include "common/error.h"
#include "text/spm_plugin/spm_plugin.h"

namespace qiss {
namespace {

/// The SentencePiece plugin's entry points, loaded once.
struct Plugin {
    decltype(&qiss_spm_load) load;
    decltype(&qiss_spm_free) free;
    decltype(&qiss_spm_encode) encode;
    decltype(&qiss_spm_vocab_size) vocab_size;
    decltype(&qiss_spm_pad_id) pad_id;
    decltype(&qiss_spm_unk_id) unk_id;
    decltype(&qiss_spm_is_byte) is_byte;
    decltype(&qiss_spm_train) train;
    decltype(&qiss_spm_free_buffer) free_buffer;
};

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
    if (!ec) {
        c.push_back((exe.parent_path() / "libqiss_spm.so").string());
        c.push_back((exe.parent_path().parent_path() / "libqiss_spm.so").string());
        c.push_back((exe.parent_path().parent_path() / "lib" / "libqiss_spm.so").string());
    }
    c.emplace_back(QISS_SPM_PLUGIN_PATH);
    return c;
}

const Plugin& plugin() {
    static const Plugin p = [] {
        void* lib = nullptr;
        std::string tried;
        for (const auto& path : plugin_candidates()) {
            if (!std::filesystem::exists(path)) continue;
            lib = open_plugin(path.c_str());
            if (lib) break;
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
        Plugin p;
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

}  // namespace

struct Tokenizer::Handle {
    void* sp = nullptr;
    ~Handle() {
        if (sp) plugin().free(sp);
    }
};

Tokenizer::Tokenizer(std::string serialized_model)
    : serialized_(std::move(serialized_model)), sp_(std::make_unique<Handle>()) {
    char err[512] = "";
    sp_->sp = plugin().load(serialized_.data(), serialized_.size(), err, sizeof(err));
    QISS_CHECK(sp_->sp, "invalid tokenizer model: {}", err);
    QISS_CHECK(plugin().pad_id(sp_->sp) == kPadId, "tokenizer model must use id {} for padding",
               kPadId);
    unk_id_ = plugin().unk_id(sp_->sp);
}

Tokenizer::~Tokenizer() = default;
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;

Tokenizer Tokenizer::train(const std::vector<std::string>& sentences,
                           const TokenizerTrainOptions& o) {
    std::vector<const std::string*> input;
    input.reserve(sentences.size());
    for (const auto& s : sentences)
        if (!s.empty()) input.push_back(&s);
    QISS_CHECK(!input.empty(), "cannot train a tokenizer on no text");
    // Seeded subsampling here (SentencePiece's own shuffle is not seeded) keeps training
    // reproducible.
    std::mt19937_64 rng(o.seed);
    std::shuffle(input.begin(), input.end(), rng);
    if (input.size() > o.max_sentences) input.resize(o.max_sentences);
    std::vector<const char*> ptrs;
    std::vector<std::size_t> lens;
    for (const auto* s : input) {
        ptrs.push_back(s->data());
        lens.push_back(s->size());
    }
    std::string args = fmt::format(
        "--model_type=unigram --vocab_size={} --character_coverage={} "
        "--normalization_rule_name=nfkc_cf --pad_id=0 --unk_id=1 --bos_id=-1 --eos_id=-1 "
        "--hard_vocab_limit=false --shuffle_input_sentence=false --input_sentence_size=0 "
        "--max_sentence_length=2048 --num_threads={} --minloglevel=3 --byte_fallback={}",
        o.vocab_size, o.character_coverage, o.num_threads, o.byte_fallback);
    char* out = nullptr;
    std::size_t out_len = 0;
    char err[512] = "";
    int rc = plugin().train(args.c_str(), ptrs.data(), lens.data(), ptrs.size(), &out, &out_len,
                            err, sizeof(err));
    QISS_CHECK(rc == 0, "tokenizer training failed: {}", err);
    std::string proto(out, out_len);
    plugin().free_buffer(out);
    return Tokenizer(std::move(proto));
}

std::vector<int> Tokenizer::encode(std::string_view text, int max_tokens) const {
    QISS_ASSERT(max_tokens > 0);
    std::vector<int> ids(static_cast<std::size_t>(max_tokens));
    int n = plugin().encode(sp_->sp, text.data(), text.size(), ids.data(), max_tokens);
    QISS_CHECK(n >= 0, "cannot tokenize the text");
    ids.resize(static_cast<std::size_t>(std::min(n, max_tokens)));
    if (ids.empty()) ids.push_back(unk_id_);
    return ids;
}

Tokenizer::PieceStats Tokenizer::piece_stats(std::string_view text) const {
    std::vector<int> ids(256);
    int n = plugin().encode(sp_->sp, text.data(), text.size(), ids.data(),
                            static_cast<int>(ids.size()));
    QISS_CHECK(n >= 0, "cannot tokenize the text");
    if (n > static_cast<int>(ids.size())) {
        ids.resize(static_cast<std::size_t>(n));
        n = plugin().encode(sp_->sp, text.data(), text.size(), ids.data(), n);
    }
    PieceStats s;
    s.pieces = n;
    for (int i = 0; i < n; ++i) {
        s.unknown += ids[i] == unk_id_;
        s.bytes += plugin().is_byte(sp_->sp, ids[i]);
    }
    return s;
}

int Tokenizer::vocab_size() const {
    return plugin().vocab_size(sp_->sp);
}

}  // namespace qiss
