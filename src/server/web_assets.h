#pragma once
/// @file web_assets.h
/// The search page (web/index.html, app.css, app.js) served at "/". The files in web/ are the
/// source of truth. A build that generates `qiss_web_assets.inc` (CMake, see docs/api.md)
/// embeds them in the binary; otherwise, or with `qiss serve --web-dir`, they are read from a
/// folder at each request, so an edit shows on the next reload.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace qiss::server {

/// One file of the page.
struct WebAsset {
    std::string content_type;
    std::string body;
};

/// Where the page's files come from.
class WebAssets {
  public:
    /// `dir` given: that folder (it must hold index.html, else qiss::Error). Empty: the copy
    /// embedded at build time, else web/ found next to or above the running binary, else
    /// none (every get() is nullopt).
    static WebAssets open(const std::filesystem::path& dir = {});

    /// The file for a request path: "/" and "/index.html" give index.html; "/app.css" and
    /// "/app.js" the others; nullopt for any other path or a file that cannot be read.
    std::optional<WebAsset> get(std::string_view path) const;

    /// "embedded", the folder, or "" when no page is available.
    std::string origin() const;

  private:
    std::filesystem::path dir_;
    bool embedded_ = false;
};

/// The web/ folder next to or above the running binary, or share/qiss/web there (an
/// installation); empty if none holds an index.html.
std::filesystem::path default_web_dir();

/// Whether the binary carries the embedded page.
bool has_embedded_web_assets();

}  // namespace qiss::server
