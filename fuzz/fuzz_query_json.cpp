// The server's JSON search request, without a running server: POST /api/search's body through
// search_query_from_json (json_body, the members, the terms of a combined query),
// validate_query with the server's limits (the "filter" member included, and its test on a
// record), the `after` cursor's decoding, and the language
// detection each text runs. Every failure
// must be an answer the server gives as a 4xx: send_exception, the server's one mapping of
// exceptions to statuses, decides.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "common/error.h"
#include "engine/cursor.h"
#include "engine/filter.h"
#include "engine/query_spec.h"
#include "fuzz_util.h"
#include "server/json_error.h"
#include "server/request_input.h"
#include "store/image_store.h"
#include "text/language.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    qiss::fuzz::quiet_logs();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    httplib::Request req;
    req.method = "POST";
    req.path = "/api/search";
    req.headers.emplace("Content-Type", "application/json");
    req.body = qiss::fuzz::bytes_of(data, size);
    try {
        const qiss::QueryLimits limits;
        qiss::Query q;
        q = qiss::server::search_query_from_json(req, q, limits.max_terms);
        qiss::validate_query(q, limits);
        if (!q.after.empty()) qiss::decode_cursor(q.after, qiss::query_fingerprint(q));
        if (!q.filter.empty()) {
            // The filter's echo, and its test on a record (what the record table selects).
            qiss::ImageRecord record;
            record.source = "/photos/cats/tom.png";
            record.root = "/photos";
            record.format = "png";
            record.metadata = {{"vendor", "google"}, {"tags", {"cat", 2, true}}};
            httplib::Response res;
            qiss::server::send_json(res, {{"filter", qiss::filter_to_json(q.filter)},
                                          {"matches", qiss::filter_matches(q.filter, record)}});
        }
        for (const qiss::QueryTerm& t : qiss::terms_of(q)) {
            if (t.kind != qiss::QueryTerm::Kind::Text) continue;
            const qiss::DetectedLanguage language = qiss::detect_language(t.text);
            httplib::Response res;
            qiss::server::send_json(
                res, {{"query", {{"text", t.text}, {"language", {language.code, language.name}}}}});
        }
    } catch (...) {
        httplib::Response res;
        qiss::server::send_exception(res, std::current_exception());
        if (res.status < 400 || res.status >= 500) {
            std::fprintf(stderr, "query JSON answered %d: %s\n", res.status, res.body.c_str());
            std::abort();
        }
    }
    return 0;
}
