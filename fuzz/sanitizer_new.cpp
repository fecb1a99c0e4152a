// operator new and delete for the sanitized fuzz targets and replays: an allocation the machine
// could not give fails with std::bad_alloc, as it does with glibc, instead of ending the run.
// AddressSanitizer's own operator new reports any failed allocation as a fatal out-of-memory
// error whatever allocator_may_return_null says, and libFuzzer's -malloc_limit_mb does the
// same, so the code under test could never show what it does with std::bad_alloc (fuzz finding
// 5: FAISS sizing a vector from a damaged length field). Memory still comes from malloc, which
// the sanitizer intercepts, so every other check stays on; aligned forms are left to it.
#include <cstddef>
#include <cstdlib>
#include <new>

namespace {

/// Larger requests fail at once, before malloc: below -rss_limit_mb (2048) of scripts/fuzz.sh.
constexpr std::size_t kLargestAllocation = std::size_t{1} << 30;

void* allocate(std::size_t n) noexcept {
    if (n > kLargestAllocation) return nullptr;
    return std::malloc(n == 0 ? 1 : n);
}

}  // namespace

void* operator new(std::size_t n) {
    if (void* p = allocate(n)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) {
    if (void* p = allocate(n)) return p;
    throw std::bad_alloc();
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    return allocate(n);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
    return allocate(n);
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
    std::free(p);
}
