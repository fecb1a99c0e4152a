// GET/POST /api/search and GET /api/images/{id}/similar: one query (a text, an image, an id, or
// weighted terms combining them), the JSON of to_json(QueryResult) (server/answer_json.h) with
// each result's API paths and the time taken. GET /api/images/{id}/explain: why an image answers
// a text query (engine/explain.h).
#include <fmt/format.h>

#include "server/json_error.h"
#include "server/routes.h"

namespace qiss::server {
namespace {

using httplib::Request;
using httplib::Response;

/// The settings every search reads from the query string or multipart fields: k, offset,
/// after, collapse, min_relevance, mode and the `where` filter.
void read_page_params(const ServerContext& ctx, const Request& req, Query& q) {
    q.mode = mode_param(req);
    q.k = int_param(req, "k", ctx.options.default_k);
    q.offset = int_param(req, "offset", 0);
    q.after = after_param(req);
    q.collapse = collapse_param(req);
    q.min_relevance = min_relevance_param(req);
    q.filter = where_params(req);
}

/// Runs the query and answers with its results. A server that shows sources relative to their
/// folder (the default) filters on those relative paths, and does not tell its folders: a
/// `root` filter would let a client probe them.
void answer(ServerContext& ctx, Query& q, Response& res) {
    if (!ctx.options.absolute_paths) {
        if (q.filter.root)
            throw HttpError(400,
                            "this server shows sources relative to their folder (it runs "
                            "without --absolute-paths): filter with source_prefix on the "
                            "relative path instead of root");
        q.filter.relative_sources = true;
    }
    QueryResult r = run_query(ctx.collection, q, ctx.options.query);
    for (const TermAsRun& t : r.terms)
        if (t.language) ctx.metrics.count_query_language(t.language->code);
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

/// The image a URL names, downloaded and decoded.
cv::Mat image_at(const ServerContext& ctx, const std::string& url) {
    return decode_upload(download_image(url, ctx.options), ctx.options, url).rgb;
}

/// Checks the ids of a combined query and loads its images: URLs downloaded, parts (of a
/// multipart form) decoded.
void resolve_terms(ServerContext& ctx, const Request& req, std::vector<TermInput>&& inputs,
                   Query& q) {
    q.kind = Query::Kind::Terms;
    for (TermInput& in : inputs) {
        QueryTerm& t = in.term;
        if (t.kind == QueryTerm::Kind::Id) {
            require_known_id(ctx, t.id);
        } else if (t.kind == QueryTerm::Kind::Image && in.image_from_part) {
            if (!req.has_file(t.image_name))
                throw HttpError(400, fmt::format("a term names the part {}, which the form does "
                                                 "not have",
                                                 server::quoted(t.image_name)));
            const httplib::MultipartFormData part = req.get_file_value(t.image_name);
            if (!part.filename.empty()) t.image_name = part.filename;
            t.image = decode_upload(part.content, ctx.options,
                                    "the image " + server::quoted(t.image_name))
                          .rgb;
        } else if (t.kind == QueryTerm::Kind::Image) {
            t.image = image_at(ctx, t.image_name);
        }
        q.terms.push_back(std::move(t));
    }
}

/// POST /api/search with a JSON body: the query, its images downloaded, its ids checked.
void query_from_json(ServerContext& ctx, const Request& req, Query& q) {
    q = search_query_from_json(req, std::move(q), ctx.options.query.max_terms);
    if (q.kind == Query::Kind::Image) {
        q.image = image_at(ctx, q.image_name);
    } else if (q.kind == Query::Kind::Id) {
        require_known_id(ctx, q.id);
    } else if (q.kind == Query::Kind::Terms) {
        std::vector<TermInput> inputs;
        for (QueryTerm& t : q.terms) inputs.push_back({std::move(t), false});
        q.terms.clear();
        resolve_terms(ctx, req, std::move(inputs), q);
    }
}

/// POST /api/search with a multipart form: a `terms` field (a JSON array whose image terms may
/// name the form's parts) or one `image`.
void query_from_form(ServerContext& ctx, const Request& req, Query& q) {
    if (req.has_file("terms")) {
        nlohmann::json terms;
        try {
            terms = nlohmann::json::parse(req.get_file_value("terms").content);
        } catch (const nlohmann::json::exception& e) {
            throw HttpError(400, std::string("the `terms` field is not valid JSON: ") + e.what());
        }
        resolve_terms(ctx, req, terms_from_json(terms, ctx.options.query.max_terms, true), q);
        return;
    }
    if (!req.has_file("image"))
        throw HttpError(400, "the multipart form has no `image` or `terms` field");
    const httplib::MultipartFormData file = req.get_file_value("image");
    q.kind = Query::Kind::Image;
    q.image_name = file.filename.empty() ? "upload" : file.filename;
    q.image = decode_upload(file.content, ctx.options, "the uploaded image").rgb;
}

}  // namespace

void register_search_routes(ServerContext& ctx) {
    ctx.add_route("GET", "/api/search", "search", [&ctx](const Request& req, Response& res) {
        if (!req.has_param("q"))
            throw HttpError(400, "missing parameter q (the text to search for)");
        Query q;
        q.kind = Query::Kind::Text;
        q.text = req.get_param_value("q");
        read_page_params(ctx, req, q);
        answer(ctx, q, res);
    });

    ctx.add_route("POST", "/api/search", "search", [&ctx](const Request& req, Response& res) {
        Query q;
        read_page_params(ctx, req, q);
        if (req.is_multipart_form_data()) {
            query_from_form(ctx, req, q);
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
                      read_page_params(ctx, req, q);
                      require_known_id(ctx, q.id);
                      answer(ctx, q, res);
                  });

    ctx.add_route("GET", R"(/api/images/(\d+)/explain)", "explain",
                  [&ctx](const Request& req, Response& res) {
                      if (!req.has_param("q"))
                          throw HttpError(400, "missing parameter q (the text query to explain)");
                      const std::uint64_t id = id_from_path(req);
                      require_known_id(ctx, id);
                      const Explanation e = explain_text(ctx.collection, req.get_param_value("q"),
                                                         id, ctx.options.query);
                      send_json(res, to_json(e));
                  });
}

}  // namespace qiss::server
