#pragma once
/// @file openapi.h
/// The OpenAPI 3.1 description of the HTTP API. docs/openapi.json is the source of truth; the
/// build embeds it in the binary (cmake/embed_files.cmake) and `qiss serve` answers it at
/// GET /api/openapi.json.

#include <string_view>

namespace qiss::server {

/// docs/openapi.json as it was at build time.
std::string_view openapi_json();

}  // namespace qiss::server
