#include "model/model_file.h"

#include <cstring>

#include <zlib.h>

#include "common/error.h"

namespace qiss {
namespace {

void put_u32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void put_u64(std::string& out, std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void put_section(std::string& out, const std::string& s) {
    put_u64(out, s.size());
    out += s;
}

std::uint32_t crc32_of(const char* data, std::size_t n) {
    uLong crc = ::crc32(0L, Z_NULL, 0);
    while (n > 0) {
        uInt chunk = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
        crc = ::crc32(crc, reinterpret_cast<const Bytef*>(data), chunk);
        data += chunk;
        n -= chunk;
    }
    return static_cast<std::uint32_t>(crc);
}

/// Little-endian reader that refuses to run past the end.
class Reader {
  public:
    Reader(const std::string& b, const std::string& what) : b_(b), what_(what) {}
    std::uint64_t get(int bytes) {
        need(bytes);
        std::uint64_t v = 0;
        for (int i = 0; i < bytes; ++i)
            v |= static_cast<std::uint64_t>(static_cast<unsigned char>(b_[pos_ + i])) << (8 * i);
        pos_ += bytes;
        return v;
    }
    std::string section() {
        std::uint64_t n = get(8);
        need(n);
        std::string s = b_.substr(pos_, n);
        pos_ += n;
        return s;
    }
    std::size_t pos() const { return pos_; }

  private:
    void need(std::uint64_t n) const {
        QISS_CHECK(n <= b_.size() - pos_, "{}: truncated model file", what_);
    }
    const std::string& b_;
    const std::string& what_;
    std::size_t pos_ = 0;
};

}  // namespace

std::string encode_model_file(const ModelFileContents& c) {
    std::string out(kModelMagic, sizeof(kModelMagic));
    put_u32(out, kModelFormatVersion);
    put_u32(out, 0);  // flags, reserved
    put_section(out, c.header.dump());
    put_section(out, c.tokenizer);
    put_section(out, c.weights);
    put_u32(out, crc32_of(out.data(), out.size()));
    return out;
}

ModelFileContents decode_model_file(const std::string& bytes, const std::string& what) {
    QISS_CHECK(bytes.size() >= sizeof(kModelMagic) &&
                   std::memcmp(bytes.data(), kModelMagic, sizeof(kModelMagic)) == 0,
               "{}: not a qiss model file (bad magic)", what);
    Reader r(bytes, what);
    r.get(8);
    auto version = static_cast<std::uint32_t>(r.get(4));
    QISS_CHECK(version <= kModelFormatVersion,
               "{}: model file format version {} is newer than this qiss supports ({}); "
               "upgrade qiss",
               what, version, kModelFormatVersion);
    QISS_CHECK(version >= 1, "{}: invalid model file format version {}", what, version);
    r.get(4);
    ModelFileContents c;
    std::string header = r.section();
    c.tokenizer = r.section();
    c.weights = r.section();
    std::size_t body = r.pos();
    auto stored_crc = static_cast<std::uint32_t>(r.get(4));
    QISS_CHECK(stored_crc == crc32_of(bytes.data(), body),
               "{}: model file is corrupted (CRC mismatch)", what);
    QISS_CHECK(r.pos() == bytes.size(), "{}: trailing bytes after the model file", what);
    try {
        c.header = nlohmann::json::parse(header);
    } catch (const nlohmann::json::exception& e) {
        QISS_THROW("{}: invalid model header: {}", what, e.what());
    }
    return c;
}

}  // namespace qiss
