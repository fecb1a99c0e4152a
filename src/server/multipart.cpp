// multipart/form-data (RFC 7578, RFC 2046 section 5.1): parts separated by "--BOUNDARY" lines,
// each with its header fields, an empty line and the content. Hand-written: cpp-httplib keeps
// its parser internal, and no Debian library parses form data from a buffer in memory.
#include "server/multipart.h"

#include <algorithm>
#include <cctype>

#include "server/json_error.h"

namespace qiss::server {
namespace {

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

[[noreturn]] void malformed(const std::string& why) {
    throw HttpError(400, "malformed multipart/form-data body: " + why);
}

/// The value of parameter `name` in "type; a=1; b=\"x y\"" (quotes removed), if present.
bool parameter(std::string_view header, std::string_view name, std::string& value) {
    std::size_t pos = header.find(';');
    while (pos != std::string_view::npos) {
        std::string_view rest = header.substr(pos + 1);
        const std::size_t eq = rest.find('=');
        if (eq == std::string_view::npos) return false;
        const std::string_view key = trim(rest.substr(0, eq));
        rest = rest.substr(eq + 1);
        while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t'))
            rest.remove_prefix(1);
        std::string v;
        std::size_t used = 0;
        if (!rest.empty() && rest.front() == '"') {
            std::size_t i = 1;
            for (; i < rest.size() && rest[i] != '"'; ++i) {
                if (rest[i] == '\\' && i + 1 < rest.size()) ++i;
                v += rest[i];
            }
            if (i >= rest.size()) return false;
            used = i + 1;
        } else {
            used = std::min(rest.find(';'), rest.size());
            v = std::string(trim(rest.substr(0, used)));
        }
        if (iequals(key, name)) {
            value = std::move(v);
            return true;
        }
        const std::size_t next = rest.find(';', used);
        pos = next == std::string_view::npos ? next : header.size() - rest.size() + next;
    }
    return false;
}

}  // namespace

std::string multipart_boundary(std::string_view content_type) {
    constexpr std::string_view kType = "multipart/form-data";
    if (content_type.size() < kType.size() || !iequals(content_type.substr(0, kType.size()), kType))
        return {};
    std::string boundary;
    if (!parameter(content_type, "boundary", boundary)) return {};
    // RFC 2046: 1 to 70 characters.
    if (boundary.empty() || boundary.size() > 70) return {};
    return boundary;
}

void parse_multipart(std::string_view body, std::string_view boundary,
                     httplib::MultipartFormDataMap& files, std::size_t max_fields) {
    const std::string delimiter = "--" + std::string(boundary);
    const std::string separator = "\r\n" + delimiter;
    // The first delimiter may follow a preamble; later ones follow a CRLF.
    std::size_t pos = body.rfind(delimiter, 0) == 0 ? 0 : body.find(separator);
    if (pos == std::string_view::npos) malformed("no boundary line");
    pos += pos == 0 ? delimiter.size() : separator.size();
    for (std::size_t fields = 0;; ++fields) {
        if (body.substr(pos, 2) == "--") return;  // the closing delimiter
        while (pos < body.size() && (body[pos] == ' ' || body[pos] == '\t')) ++pos;
        if (body.substr(pos, 2) != "\r\n") malformed("a boundary line is not followed by CRLF");
        pos += 2;
        if (fields == max_fields) malformed("more than " + std::to_string(max_fields) + " fields");
        const std::size_t headers_end = body.find("\r\n\r\n", pos);
        if (headers_end == std::string_view::npos) malformed("a part has no end of headers");
        httplib::MultipartFormData field;
        bool has_disposition = false;
        std::string_view headers = body.substr(pos, headers_end + 2 - pos);
        while (!headers.empty()) {
            const std::size_t eol = headers.find("\r\n");
            const std::string_view line = headers.substr(0, eol);
            headers.remove_prefix(eol + 2);
            const std::size_t colon = line.find(':');
            if (colon == std::string_view::npos) malformed("a part's header line has no colon");
            const std::string_view name = trim(line.substr(0, colon));
            const std::string_view value = trim(line.substr(colon + 1));
            if (iequals(name, "Content-Type")) {
                field.content_type = std::string(value);
            } else if (iequals(name, "Content-Disposition")) {
                if (!iequals(value.substr(0, std::min(value.find(';'), value.size())),
                             "form-data") ||
                    !parameter(value, "name", field.name))
                    malformed("a part's Content-Disposition is not form-data with a name");
                parameter(value, "filename", field.filename);
                has_disposition = true;
            }
        }
        if (!has_disposition) malformed("a part has no Content-Disposition");
        const std::size_t content = headers_end + 4;
        const std::size_t end = body.find(separator, content);
        if (end == std::string_view::npos) malformed("a part is not closed by a boundary line");
        field.content = std::string(body.substr(content, end - content));
        std::string key = field.name;
        files.emplace(std::move(key), std::move(field));
        pos = end + separator.size();
    }
}

}  // namespace qiss::server
