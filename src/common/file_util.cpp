#include "common/file_util.h"

#include <zlib.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include "common/error.h"
#include "common/error_kind.h"

namespace qiss {
namespace {

void fsync_fd_or_throw(int fd, const std::string& what) {
    if (::fsync(fd) != 0) {
        int err = errno;
        ::close(fd);
        QISS_THROW_KIND(storage, "{}: fsync failed: {}", what, std::strerror(err));
    }
}

}  // namespace

void write_file_atomic(const std::filesystem::path& path, std::string_view data) {
    auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    // fmt rather than "." + name: GCC 12 warns falsely (-Wrestrict) on that operator+.
    std::string tmpl = (dir / fmt::format(".{}.tmp-XXXXXX", path.filename().string())).string();
    int fd = ::mkstemp(tmpl.data());
    QISS_CHECK_KIND(fd >= 0, storage, "{}: cannot create a temporary file: {}", path.string(),
                    std::strerror(errno));
    std::size_t done = 0;
    while (done < data.size()) {
        ssize_t n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            int err = errno;
            ::close(fd);
            ::unlink(tmpl.c_str());
            QISS_THROW_KIND(storage, "{}: write failed: {}", path.string(), std::strerror(err));
        }
        done += static_cast<std::size_t>(n);
    }
    ::fchmod(fd, 0644);
    fsync_fd_or_throw(fd, path.string());
    ::close(fd);
    if (::rename(tmpl.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmpl.c_str());
        QISS_THROW_KIND(storage, "{}: rename failed: {}", path.string(), std::strerror(err));
    }
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

std::string read_file_bytes(const std::filesystem::path& path, std::uint64_t max_bytes) {
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    QISS_CHECK(!ec, "{}: cannot read: {}", path.string(), ec.message());
    QISS_CHECK(size <= max_bytes, "{}: file of {} bytes exceeds the limit of {}", path.string(),
               size, max_bytes);
    std::ifstream in(path, std::ios::binary);
    QISS_CHECK(in.good(), "{}: cannot open", path.string());
    std::string data(size, '\0');
    in.read(data.data(), static_cast<std::streamsize>(size));
    QISS_CHECK(in.gcount() == static_cast<std::streamsize>(size), "{}: short read", path.string());
    return data;
}

std::string gunzip_if_compressed(std::string bytes, const std::string& what,
                                 std::uint64_t max_bytes) {
    if (bytes.size() < 2 || static_cast<unsigned char>(bytes[0]) != 0x1f ||
        static_cast<unsigned char>(bytes[1]) != 0x8b)
        return bytes;
    z_stream z{};
    QISS_CHECK(inflateInit2(&z, 16 + MAX_WBITS) == Z_OK, "{}: cannot start inflating", what);
    z.next_in = reinterpret_cast<Bytef*>(bytes.data());
    z.avail_in = static_cast<uInt>(std::min<std::size_t>(bytes.size(), UINT32_MAX));
    std::string out;
    int rc = Z_OK;
    while (rc == Z_OK) {
        char chunk[1 << 16];
        z.next_out = reinterpret_cast<Bytef*>(chunk);
        z.avail_out = sizeof(chunk);
        rc = inflate(&z, Z_NO_FLUSH);
        out.append(chunk, sizeof(chunk) - z.avail_out);
        if (out.size() > max_bytes) rc = Z_MEM_ERROR;
    }
    inflateEnd(&z);
    QISS_CHECK(out.size() <= max_bytes, "{}: more than {} bytes once inflated", what, max_bytes);
    QISS_CHECK(rc == Z_STREAM_END, "{}: damaged gzip data", what);
    return out;
}

}  // namespace qiss
