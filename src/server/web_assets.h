#pragma once
/// @file web_assets.h
/// The search page (web/index.html, app.css, app.js and its modules) served at "/". The files
/// in web/ are the source of truth; the build embeds them in the binary (cmake/embed_files.cmake),
/// so an installed `qiss` needs no other file. With `qiss serve --web-dir web` they are read from
/// the folder at each request instead, so an edit shows on the next reload.

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
    /// embedded at build time.
    static WebAssets open(const std::filesystem::path& dir = {});

    /// The file for a request path: "/" and "/index.html" give index.html; "/app.css",
    /// "/app.js" and its modules ("/terms.js", …) the others; nullopt for any other path or a
    /// file that cannot be read.
    std::optional<WebAsset> get(std::string_view path) const;

    /// A regular expression (std::regex ECMAScript) that matches exactly the request paths of
    /// the page: "/" and "/NAME" for each file the build embeds (CMakeLists.txt QISS_WEB_FILES).
    static std::string path_pattern();

    /// "embedded" or the folder.
    std::string origin() const;

  private:
    std::filesystem::path dir_;
    bool embedded_ = false;
};

}  // namespace qiss::server
