// GET/POST /api/search and GET /api/images/{id}/similar: one query, the JSON of
// to_json(QueryResult) (server/answer_json.h) with each result's API paths and the time taken.
#include <fmt/format.h>

#include "server/json_error.h"
#include "server/routes.h"

namespace qiss::server {
namespace {

using httplib::Request;
using httplib::Response;

/// Runs the query and answers with its results.
void answer(ServerContext& ctx, const Query& q, Response& res) {
    QueryResult r = run_query(ctx.collection, q, ctx.options.query);
    if (r.language) ctx.metrics.count_query_language(r.language->code);
    nlohmann::json j = to_json(r, path_display(ctx.options));
    for (auto& hit : j["results"]) {
        const std::string url = image_url(hit["id"].get<std::uint64_t>());
        hit["url"] = url;
        hit["thumbnail_url"] = url + "/thumbnail";
    }
    j["took_ms"] = r.took_ms;
    send_json(res, j);
}

/// The stored image a query by id refers to must exist: 404 rather than 400.
void require_known_id(const ServerContext& ctx, std::uint64_t id) {
    if (!ctx.collection.store().get(id))
        throw HttpError(404, fmt::format("no image with id {}", id));
}

/// POST /api/search with a JSON body: the query, its image downloaded, its id checked.
void query_from_json(ServerContext& ctx, const Request& req, Query& q) {
    q = search_query_from_json(req, std::move(q));
    if (q.kind == Query::Kind::Image)
        q.image =
            decode_upload(download_image(q.image_name, ctx.options), ctx.options, q.image_name).rgb;
    else if (q.kind == Query::Kind::Id)
        require_known_id(ctx, q.id);
}

}  // namespace

void register_search_routes(ServerContext& ctx) {
    ctx.add_route("GET", "/api/search", "search", [&ctx](const Request& req, Response& res) {
        if (!req.has_param("q"))
            throw HttpError(400, "missing parameter q (the text to search for)");
        Query q;
        q.kind = Query::Kind::Text;
        q.text = req.get_param_value("q");
        q.k = int_param(req, "k", ctx.options.default_k);
        q.offset = int_param(req, "offset", 0);
        q.collapse = collapse_param(req);
        answer(ctx, q, res);
    });

    ctx.add_route("POST", "/api/search", "search", [&ctx](const Request& req, Response& res) {
        Query q;
        q.k = int_param(req, "k", ctx.options.default_k);
        q.offset = int_param(req, "offset", 0);
        q.collapse = collapse_param(req);
        if (req.is_multipart_form_data()) {
            if (!req.has_file("image"))
                throw HttpError(400, "the multipart form has no `image` field");
            const httplib::MultipartFormData file = req.get_file_value("image");
            q.kind = Query::Kind::Image;
            q.image_name = file.filename.empty() ? "upload" : file.filename;
            q.image = decode_upload(file.content, ctx.options, "the uploaded image").rgb;
        } else {
            query_from_json(ctx, req, q);
        }
        answer(ctx, q, res);
    });

    ctx.add_route("GET", R"(/api/images/(\d+)/similar)", "similar",
                  [&ctx](const Request& req, Response& res) {
                      Query q;
                      q.kind = Query::Kind::Id;
                      q.id = id_from_path(req);
                      q.k = int_param(req, "k", ctx.options.default_k);
                      q.offset = int_param(req, "offset", 0);
                      q.collapse = collapse_param(req);
                      require_known_id(ctx, q.id);
                      answer(ctx, q, res);
                  });
}

}  // namespace qiss::server
