#pragma once
/// @file multipart.h
/// multipart/form-data bodies (RFC 7578) of requests the HTTP front has read whole, within the
/// body limit: the fields become httplib::Request::files, as the routes read them.

#include <cstddef>
#include <string>
#include <string_view>

#include <httplib.h>

namespace qiss::server {

/// The boundary parameter of a multipart/form-data Content-Type; empty if the type is another
/// or has no usable boundary.
std::string multipart_boundary(std::string_view content_type);

/// Splits `body` into its fields (name, filename, content type, content) and adds them to
/// `files`. Throws HttpError 400 for a body that does not follow the format or has more than
/// `max_fields` fields.
void parse_multipart(std::string_view body, std::string_view boundary,
                     httplib::MultipartFormDataMap& files, std::size_t max_fields = 64);

}  // namespace qiss::server
