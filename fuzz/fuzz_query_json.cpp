// The server's JSON search request, without a running server: POST /api/search's body through
// search_query_from_json (json_body, the members), validate_query with the server's limits, and
// the language detection a text query runs. Every failure must be an answer the server gives
// as a 4xx: send_exception, the server's one mapping of exceptions to statuses, decides.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "common/error.h"
#include "engine/query_spec.h"
#include "fuzz_util.h"
#include "server/json_error.h"
#include "server/request_input.h"
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
        qiss::Query q;
        q = qiss::server::search_query_from_json(req, q);
        qiss::validate_query(q, qiss::QueryLimits{});
        if (q.kind == qiss::Query::Kind::Text) {
            const qiss::DetectedLanguage language = qiss::detect_language(q.text);
            httplib::Response res;
            qiss::server::send_json(
                res, {{"query", {{"text", q.text}, {"language", {language.code, language.name}}}}});
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
