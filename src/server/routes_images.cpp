// GET /api/images/{id} (record), …/thumbnail (JPEG), POST /api/images (add an image),
// DELETE /api/images/{id}; and the decoding and download of images sent to the server.
#include <span>

#include <fmt/format.h>

#include "common/content_hash.h"
#include "image/image_header.h"
#include "ingest/prepare.h"
#include "server/json_error.h"
#include "server/routes.h"
#include "text/utf8.h"

namespace qiss::server {
namespace {

using httplib::Request;
using httplib::Response;

std::span<const std::uint8_t> bytes_of(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

/// An uploaded file's name as the record's source: "upload:NAME", or "upload" when the name
/// is missing, not UTF-8, too long or holds control characters.
std::string upload_source(const std::string& filename) {
    bool ok = !filename.empty() && filename.size() <= 255 && is_valid_utf8(filename);
    for (char c : filename) ok = ok && static_cast<unsigned char>(c) >= 0x20 && c != 0x7f;
    return ok ? "upload:" + filename : "upload";
}

std::string checked_caption(const std::string& caption, const ServerOptions& o) {
    if (!is_valid_utf8(caption)) throw HttpError(400, "the caption is not valid UTF-8");
    if (caption.size() > o.max_caption_bytes)
        throw HttpError(400, fmt::format("the caption has {} bytes; the limit is {}",
                                         caption.size(), o.max_caption_bytes));
    return caption;
}

/// An image to add, as the request gives it.
struct Upload {
    std::string bytes, source, caption;
};

Upload upload_from_request(const ServerContext& ctx, const Request& req) {
    Upload u;
    if (req.is_multipart_form_data()) {
        if (!req.has_file("image")) throw HttpError(400, "the multipart form has no `image` field");
        httplib::MultipartFormData file = req.get_file_value("image");
        u.bytes = std::move(file.content);
        u.source = upload_source(file.filename);
        if (req.has_file("caption"))
            u.caption = checked_caption(req.get_file_value("caption").content, ctx.options);
        return u;
    }
    const nlohmann::json body = json_body(req);
    auto url = body.find("image_url");
    if (url == body.end() || !url->is_string())
        throw HttpError(400,
                        "give \"image_url\" (a string), or upload multipart/form-data "
                        "with an `image` field");
    if (auto c = body.find("caption"); c != body.end() && !c->is_null()) {
        if (!c->is_string()) throw HttpError(400, "\"caption\" must be a string");
        u.caption = checked_caption(c->get<std::string>(), ctx.options);
    }
    u.source = url->get<std::string>();
    u.bytes = download_image(u.source, ctx.options);
    return u;
}

/// Decodes, embeds and stores an upload; answers with its record (201), or the stored
/// image's with "duplicate": true (200) if the same bytes were added before.
void add_upload(ServerContext& ctx, Upload&& u, Response& res) {
    Collection& c = ctx.collection;
    const std::string hash = content_hash(bytes_of(u.bytes));
    if (auto id = c.store().find_hash(hash)) {
        if (auto existing = c.store().get(*id)) {
            nlohmann::json j = record_json(*existing, path_display(ctx.options));
            j["duplicate"] = true;
            send_json(res, j, 200);
            return;
        }
    }
    check_upload(u.bytes, ctx.options, "the uploaded image");
    PrepareOptions po{upload_limits(ctx.options), ctx.options.thumbnail_side,
                      ctx.options.thumbnail_quality, c.input_size()};
    PreparedImage p = prepare_image(bytes_of(u.bytes), hash, po, "the uploaded image");
    ImageRecord& r = p.image.record;
    r.source = std::move(u.source);
    r.caption = std::move(u.caption);
    r.metadata = {{"added_via", "http"}};
    p.image.vector = c.embed_image(p.input);
    ImageRecord answer = r;
    std::vector<NewImage> batch;
    batch.push_back(std::move(p.image));
    const AddResult added = c.add(std::move(batch)).at(0);
    answer.id = added.id;
    // The stored record (with the time the store gave it), or the same bytes added concurrently.
    if (auto stored = c.store().get(added.id)) answer = *stored;
    nlohmann::json j = record_json(answer, path_display(ctx.options));
    j["duplicate"] = added.duplicate;
    res.set_header("Location", image_url(added.id));
    send_json(res, j, added.duplicate ? 200 : 201);
}

}  // namespace

std::string image_url(std::uint64_t id) {
    return fmt::format("/api/images/{}", id);
}

nlohmann::json record_json(const ImageRecord& r, PathDisplay display) {
    const std::string url = image_url(r.id);
    nlohmann::json j = {{"id", r.id},
                        {"source", shown_source(r, display)},
                        {"content_hash", r.content_hash},
                        {"width", r.width},
                        {"height", r.height},
                        {"format", r.format},
                        {"metadata", r.metadata},
                        {"added_unix_ms", r.added_unix_ms},
                        {"url", url},
                        {"thumbnail_url", url + "/thumbnail"},
                        {"similar_url", url + "/similar"}};
    if (!r.caption.empty()) j["caption"] = r.caption;
    return j;
}

void check_upload(const std::string& bytes, const ServerOptions& o, const std::string& what) {
    if (bytes.empty()) throw HttpError(400, what + " is empty");
    if (bytes.size() > o.max_upload_bytes)
        throw HttpError(413, fmt::format("{} has {} bytes; the limit is {} (--max-upload-mb)", what,
                                         bytes.size(), o.max_upload_bytes));
    if (sniff_image_format(bytes_of(bytes)).empty())
        throw HttpError(415, fmt::format("{} is not an image in a format qiss reads (PNG, JPEG, "
                                         "WebP, GIF, BMP)",
                                         what));
}

DecodeLimits upload_limits(const ServerOptions& o) {
    DecodeLimits limits = o.decode;
    limits.max_file_bytes = o.max_upload_bytes;
    return limits;
}

DecodedImage decode_upload(const std::string& bytes, const ServerOptions& o,
                           const std::string& what) {
    check_upload(bytes, o, what);
    return decode_image(bytes_of(bytes), upload_limits(o), what);
}

std::string download_image(const std::string& url, const ServerOptions& o) {
    if (!o.allow_image_url)
        throw HttpError(403,
                        "this server does not download images (\"image_url\" is disabled; "
                        "start `qiss serve` with --allow-image-url to enable it)");
    if (!is_valid_utf8(url)) throw HttpError(400, "\"image_url\" is not valid UTF-8");
    FetchLimits limits = o.fetch;
    limits.max_bytes = o.max_upload_bytes;
    limits.allow_private_addresses = o.allow_private_urls;
    return fetch_url(url, limits);
}

void register_image_routes(ServerContext& ctx) {
    ctx.add_route("GET", R"(/api/images/(\d+))", "image",
                  [&ctx](const Request& req, Response& res) {
                      const std::uint64_t id = id_from_path(req);
                      auto record = ctx.collection.store().get(id);
                      if (!record) throw HttpError(404, fmt::format("no image with id {}", id));
                      send_json(res, record_json(*record, path_display(ctx.options)));
                  });

    ctx.add_route("GET", R"(/api/images/(\d+)/thumbnail)", "thumbnail",
                  [&ctx](const Request& req, Response& res) {
                      const std::uint64_t id = id_from_path(req);
                      auto jpeg = ctx.collection.store().thumbnail(id);
                      if (!jpeg) throw HttpError(404, fmt::format("no image with id {}", id));
                      // Ids are never reused and an image never changes: cache for good.
                      res.set_header("Cache-Control", "public, max-age=31536000, immutable");
                      res.set_content(*jpeg, "image/jpeg");
                  });

    ctx.add_route("POST", "/api/images", "add_image", [&ctx](const Request& req, Response& res) {
        ctx.require_write_access(req);
        add_upload(ctx, upload_from_request(ctx, req), res);
    });

    ctx.add_route("DELETE", R"(/api/images/(\d+))", "delete_image",
                  [&ctx](const Request& req, Response& res) {
                      ctx.require_write_access(req);
                      const std::uint64_t id = id_from_path(req);
                      if (!ctx.collection.remove(id))
                          throw HttpError(404, fmt::format("no image with id {}", id));
                      send_json(res, {{"id", id}, {"deleted", true}});
                  });
}

}  // namespace qiss::server
