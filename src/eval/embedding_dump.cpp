#include "eval/embedding_dump.h"

#include <cctype>
#include <cstring>
#include <regex>

#include <fmt/format.h>

#include "common/error.h"
#include "common/file_util.h"

namespace qiss {
namespace fs = std::filesystem;

namespace {

constexpr char kNpyMagic[] = "\x93NUMPY";
constexpr std::size_t kNpyMagicSize = 6;

std::string one_line(std::string s) {
    for (char& c : s)
        if (c == '\t' || c == '\n' || c == '\r') c = ' ';
    return s;
}

/// A name safe as a file name: a locale code comes from the manifest, which is user data.
std::string file_stem(std::string s) {
    for (char& c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') c = '_';
    return s;
}

}  // namespace

void write_npy(const fs::path& path, const torch::Tensor& rows) {
    QISS_ASSERT(rows.dim() == 2);
    const torch::Tensor t = rows.detach().to(torch::kFloat).contiguous();
    std::string header = fmt::format(
        "{{'descr': '<f4', 'fortran_order': False, 'shape': ({}, {}), }}", t.size(0), t.size(1));
    // Magic, version, header length, header: a multiple of 64 bytes, ending in a newline.
    const std::size_t fixed = kNpyMagicSize + 2 + 2;
    header.append(63 - (fixed + header.size()) % 64, ' ');
    header.push_back('\n');
    std::string bytes(kNpyMagic, kNpyMagicSize);
    bytes.push_back('\x01');
    bytes.push_back('\x00');
    bytes.push_back(static_cast<char>(header.size() & 0xff));
    bytes.push_back(static_cast<char>(header.size() >> 8));
    bytes += header;
    const auto* data = reinterpret_cast<const char*>(t.data_ptr<float>());
    bytes.append(data, static_cast<std::size_t>(t.numel()) * sizeof(float));
    write_file_atomic(path, bytes);
}

torch::Tensor read_npy(const fs::path& path) {
    const std::string bytes = read_file_bytes(path, 1ull << 34);
    const std::string what = path.string();
    QISS_CHECK(bytes.size() >= 10 && bytes.compare(0, kNpyMagicSize, kNpyMagic) == 0,
               "{} is not a NumPy .npy file", what);
    QISS_CHECK(bytes[6] == 1 && bytes[7] == 0, "{}: only .npy format 1.0 is read", what);
    const std::size_t len = static_cast<unsigned char>(bytes[8]) |
                            (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
    QISS_CHECK(10 + len <= bytes.size(), "{}: the header runs past the end of the file", what);
    const std::string header = bytes.substr(10, len);
    std::smatch m;
    static const std::regex shape(
        R"(^\{'descr': '<f4', 'fortran_order': False, 'shape': \((\d{1,12}), (\d{1,6})\), \} *\n$)");
    QISS_CHECK(std::regex_match(header, m, shape),
               "{}: expected a 2-D little-endian float32 array in C order (header {})", what,
               header);
    const int64_t n = std::stoll(m[1].str()), d = std::stoll(m[2].str());
    const std::size_t data = bytes.size() - 10 - len;
    QISS_CHECK(data == static_cast<std::size_t>(n * d) * sizeof(float),
               "{}: {} bytes of data for a {}x{} array (expected {})", what, data, n, d,
               n * d * static_cast<int64_t>(sizeof(float)));
    torch::Tensor t = torch::empty({n, d}, torch::kFloat);
    if (data > 0) std::memcpy(t.data_ptr<float>(), bytes.data() + 10 + len, data);
    return t;
}

void write_dumped_rows(const fs::path& dir, const DumpedRows& rows) {
    QISS_ASSERT(rows.vectors.size(0) == static_cast<int64_t>(rows.ids.size()) &&
                rows.ids.size() == rows.sources.size());
    std::error_code ec;
    fs::create_directories(dir, ec);
    QISS_CHECK(!ec && fs::is_directory(dir), "cannot create the dump folder {}: {}", dir.string(),
               ec ? ec.message() : "a file of that name exists");
    const std::string stem = file_stem(rows.name);
    write_npy(dir / (stem + ".npy"), rows.vectors);
    std::string tsv;
    for (std::size_t i = 0; i < rows.ids.size(); ++i)
        tsv += one_line(rows.ids[i]) + '\t' + one_line(rows.sources[i]) + '\n';
    write_file_atomic(dir / (stem + ".tsv"), tsv);
}

}  // namespace qiss
