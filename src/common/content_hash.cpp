#include "common/content_hash.h"

#include <openssl/evp.h>

#include <array>
#include <memory>

#include "common/error.h"

namespace qiss {
namespace {

struct DigestContextFree {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

}  // namespace

std::string content_hash(std::span<const std::uint8_t> bytes) {
    std::unique_ptr<EVP_MD_CTX, DigestContextFree> ctx(EVP_MD_CTX_new());
    QISS_ASSERT(ctx != nullptr);
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    const bool ok = EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) == 1 &&
                    EVP_DigestUpdate(ctx.get(), bytes.data(), bytes.size()) == 1 &&
                    EVP_DigestFinal_ex(ctx.get(), digest.data(), &length) == 1;
    QISS_ASSERT(ok && length == 32);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    hex.reserve(2 * length);
    for (unsigned int i = 0; i < length; ++i) {
        hex.push_back(kHex[digest[i] >> 4]);
        hex.push_back(kHex[digest[i] & 0xF]);
    }
    return hex;
}

}  // namespace qiss
