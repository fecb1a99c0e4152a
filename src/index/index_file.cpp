#include "index/index_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>

#include <zlib.h>

#include "common/error.h"

namespace qiss::index_file {
namespace {

static_assert(std::endian::native == std::endian::little, "qiss files are little-endian");

constexpr std::string_view kMagic = "QISSINDX";
constexpr std::size_t kChunk = std::size_t{1} << 20;  ///< bytes per read when checking the CRC

std::uint32_t crc_update(std::uint32_t crc, const void* data, std::size_t n) {
    return static_cast<std::uint32_t>(crc32_z(crc, static_cast<const Bytef*>(data), n));
}

struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

/// Writes to a FILE*, keeping a CRC-32 of the bytes written since the last take_crc().
class CrcFileWriter : public faiss::IOWriter {
  public:
    CrcFileWriter(std::FILE* f, const std::string& name) : f_(f), name_(name) {}
    size_t operator()(const void* ptr, size_t size, size_t nitems) override {
        const std::size_t n = size * nitems;
        if (n == 0) return nitems;
        QISS_CHECK(std::fwrite(ptr, 1, n, f_) == n, "{}: write failed: {}", name_,
                   std::strerror(errno));
        crc_ = crc_update(crc_, ptr, n);
        bytes_ += n;
        return nitems;
    }
    template <typename T>
    void put(const T& value) {
        (*this)(&value, sizeof(T), 1);
    }
    /// The CRC and byte count since the last call; starts a new span.
    std::pair<std::uint32_t, std::uint64_t> take_crc() {
        auto out = std::make_pair(crc_, bytes_);
        crc_ = crc_update(0, nullptr, 0);
        bytes_ = 0;
        return out;
    }

  private:
    std::FILE* f_;
    const std::string name_;
    std::uint32_t crc_ = crc_update(0, nullptr, 0);
    std::uint64_t bytes_ = 0;
};

/// Reads from a FILE*, refusing to run past `end`, keeping a CRC of what it read.
class CrcFileReader : public faiss::IOReader {
  public:
    CrcFileReader(std::FILE* f, std::uint64_t end, const std::string& name)
        : f_(f), end_(end), name_(name) {}
    size_t operator()(void* ptr, size_t size, size_t nitems) override {
        if (size == 0 || nitems == 0) return 0;
        const std::size_t items = std::min<std::uint64_t>(nitems, left() / size);
        const std::size_t n = std::fread(ptr, 1, items * size, f_);
        crc_ = crc_update(crc_, ptr, n);
        pos_ += n;
        return n / size;
    }
    void bytes(void* out, std::size_t n) {
        QISS_CHECK(n <= left() && (*this)(out, 1, n) == n, "truncated index file {}", name_);
    }
    template <typename T>
    T get() {
        T value;
        bytes(&value, sizeof(T));
        return value;
    }
    /// Reads `n` bytes for the CRC only.
    void skip(std::uint64_t n) {
        std::vector<char> buf(std::min<std::uint64_t>(n, kChunk));
        while (n > 0) {
            const std::size_t k = std::min<std::uint64_t>(n, buf.size());
            bytes(buf.data(), k);
            n -= k;
        }
    }
    std::uint64_t left() const { return end_ - pos_; }
    std::uint64_t pos() const { return pos_; }
    std::uint32_t crc() const { return crc_; }
    /// Moves to `pos` and stops at `end` (both from the start of the file).
    void seek(std::uint64_t pos, std::uint64_t end) {
        QISS_CHECK(std::fseek(f_, static_cast<long>(pos), SEEK_SET) == 0, "{}: cannot seek: {}",
                   name_, std::strerror(errno));
        pos_ = pos;
        end_ = end;
    }

  private:
    std::FILE* f_;
    std::uint64_t end_;
    const std::string name_;  // a copy: the reader outlives the caller's string (fuzz finding 8)
    std::uint64_t pos_ = 0;
    std::uint32_t crc_ = crc_update(0, nullptr, 0);
};

void write_header(CrcFileWriter& out, const Header& h) {
    out(kMagic.data(), 1, kMagic.size());
    out.put<std::uint32_t>(kFormatVersion);
    out.put<std::uint32_t>(0);  // flags, reserved
    out.put<std::uint64_t>(h.applied_seq);
    out(h.store_id.data(), 1, h.store_id.size());
    out.put<std::uint32_t>(h.dim);
    out.put<std::uint32_t>(static_cast<std::uint32_t>(h.factory.size()));
    out(h.factory.data(), 1, h.factory.size());
    out.put<std::uint64_t>(h.tombstones.size());
    if (!h.tombstones.empty()) out(h.tombstones.data(), sizeof(std::int64_t), h.tombstones.size());
}

void fsync_folder(const std::filesystem::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

}  // namespace

void write(const std::filesystem::path& path, const Header& header,
           const std::function<void(faiss::IOWriter&)>& write_faiss) {
    const std::string name = path.string();
    const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    std::string hidden = path.filename().string();
    hidden.insert(hidden.begin(), '.');
    std::string tmp = (dir / hidden).string() + ".tmp-XXXXXX";
    const int fd = ::mkstemp(tmp.data());
    QISS_CHECK(fd >= 0, "{}: cannot create a temporary file: {}", name, std::strerror(errno));
    ::fchmod(fd, 0644);
    FilePtr f(::fdopen(fd, "wb"));
    if (!f) {
        ::close(fd);
        ::unlink(tmp.c_str());
        QISS_THROW("{}: cannot write: {}", name, std::strerror(errno));
    }
    try {
        CrcFileWriter out(f.get(), name);
        write_header(out, header);
        // The FAISS part's length precedes it but is known only once it is written: write a
        // placeholder, patch it, and combine the CRCs of the three spans (zlib's crc32_combine).
        const auto [head_crc, head_bytes] = out.take_crc();
        const long length_at = static_cast<long>(head_bytes);
        std::uint64_t length = 0;
        QISS_CHECK(std::fwrite(&length, sizeof(length), 1, f.get()) == 1, "{}: write failed: {}",
                   name, std::strerror(errno));
        write_faiss(out);
        const auto [faiss_crc, faiss_bytes] = out.take_crc();
        length = faiss_bytes;
        QISS_CHECK(std::fseek(f.get(), length_at, SEEK_SET) == 0 &&
                       std::fwrite(&length, sizeof(length), 1, f.get()) == 1 &&
                       std::fseek(f.get(), 0, SEEK_END) == 0,
                   "{}: write failed: {}", name, std::strerror(errno));
        std::uint32_t crc =
            crc32_combine(head_crc, crc_update(0, &length, sizeof(length)), sizeof(length));
        crc = crc32_combine(crc, faiss_crc, static_cast<z_off_t>(faiss_bytes));
        QISS_CHECK(std::fwrite(&crc, sizeof(crc), 1, f.get()) == 1 && std::fflush(f.get()) == 0 &&
                       ::fsync(::fileno(f.get())) == 0,
                   "{}: write failed: {}", name, std::strerror(errno));
        const int rc = std::fclose(f.release());
        QISS_CHECK(rc == 0, "{}: write failed: {}", name, std::strerror(errno));
        QISS_CHECK(::rename(tmp.c_str(), path.c_str()) == 0, "{}: rename failed: {}", name,
                   std::strerror(errno));
    } catch (...) {
        f.reset();
        ::unlink(tmp.c_str());
        throw;
    }
    fsync_folder(dir);
}

namespace {

/// Opens `path` and reads the header fields up to and including the factory string.
Header read_fields(const std::filesystem::path& path, FilePtr& f,
                   std::unique_ptr<CrcFileReader>& reader) {
    const std::string name = path.string();
    std::error_code ec;
    const std::uint64_t size = std::filesystem::file_size(path, ec);
    QISS_CHECK(!ec, "{}: cannot read: {}", name, ec.message());
    f.reset(std::fopen(path.c_str(), "rb"));
    QISS_CHECK(f, "{}: cannot open: {}", name, std::strerror(errno));
    reader = std::make_unique<CrcFileReader>(f.get(), size, name);
    CrcFileReader& in = *reader;

    char magic[kMagic.size()] = {};
    const std::size_t got = in(magic, 1, kMagic.size());
    QISS_CHECK(got > 0 && std::string_view(magic, got) == kMagic.substr(0, got),
               "{} is not a qiss index file", name);
    QISS_CHECK(got == kMagic.size(), "truncated index file {}", name);
    Header h;
    h.version = in.get<std::uint32_t>();
    QISS_CHECK(h.version <= kFormatVersion,
               "index file {} has format version {}, newer than this qiss supports ({})", name,
               h.version, kFormatVersion);
    QISS_CHECK(h.version >= 1, "index file {} is corrupted (format version 0)", name);
    in.get<std::uint32_t>();  // flags, reserved
    h.applied_seq = in.get<std::uint64_t>();
    if (h.version >= 3) in.bytes(h.store_id.data(), h.store_id.size());
    h.dim = in.get<std::uint32_t>();
    const auto factory_len = in.get<std::uint32_t>();
    QISS_CHECK(factory_len <= in.left(), "truncated index file {}", name);
    h.factory.resize(factory_len);
    in.bytes(h.factory.data(), factory_len);
    return h;
}

}  // namespace

Header read_header(const std::filesystem::path& path) {
    FilePtr f;
    std::unique_ptr<CrcFileReader> in;
    return read_fields(path, f, in);
}

Header read(const std::filesystem::path& path, const CheckFaiss& check_faiss,
            const std::function<void(faiss::IOReader&)>& read_faiss) {
    const std::string name = path.string();
    FilePtr f;
    std::unique_ptr<CrcFileReader> reader;
    Header h = read_fields(path, f, reader);
    CrcFileReader& in = *reader;
    const auto n_tombstones = in.get<std::uint64_t>();
    QISS_CHECK(n_tombstones <= in.left() / sizeof(std::int64_t), "truncated index file {}", name);
    h.tombstones.resize(n_tombstones);
    in.bytes(h.tombstones.data(), n_tombstones * sizeof(std::int64_t));
    const auto faiss_len = in.get<std::uint64_t>();
    QISS_CHECK(faiss_len <= in.left(), "truncated index file {}", name);
    const std::uint64_t faiss_at = in.pos();
    QISS_CHECK(in.left() - faiss_len >= sizeof(std::uint32_t), "truncated index file {}", name);
    QISS_CHECK(in.left() - faiss_len == sizeof(std::uint32_t),
               "index file {} is corrupted ({} unexpected trailing bytes)", name,
               in.left() - faiss_len - sizeof(std::uint32_t));
    // The CRC and the layout check in one pass, so that FAISS never parses damaged bytes; then
    // the FAISS part again. A CRC mismatch is named before what it may have caused.
    const std::string problem = check_faiss(in, faiss_len);
    in.skip(faiss_at + faiss_len - in.pos());
    const std::uint32_t computed = in.crc();
    const auto stored = in.get<std::uint32_t>();
    QISS_CHECK(computed == stored, "index file {} is corrupted (CRC mismatch)", name);
    QISS_CHECK(problem.empty(), "index file {} is corrupted ({})", name, problem);
    in.seek(faiss_at, faiss_at + faiss_len);
    read_faiss(in);
    QISS_CHECK(in.left() == 0, "index file {} is corrupted ({} bytes of the FAISS index unread)",
               name, in.left());
    return h;
}

}  // namespace qiss::index_file
