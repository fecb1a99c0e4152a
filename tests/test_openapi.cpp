// docs/openapi.json against the real server: every route the server registers is described
// (the routes come from Server::routes()), and every described operation answers as described
// — the real `qiss serve` on 127.0.0.1 is asked for each operation's success statuses and some
// of its error statuses, and each answer's status, Content-Type, headers and JSON body are
// checked against the description.
#include <map>
#include <sstream>

#include "engine/collection.h"
#include "openapi_checker.h"
#include "server/server.h"
#include "server_fixture.h"

namespace qiss::test {
namespace {

OpenApiChecker load_spec() {
    const json doc = json::parse(read_all(source_dir() / "docs/openapi.json"), nullptr, false);
    EXPECT_FALSE(doc.is_discarded()) << "docs/openapi.json is not JSON";
    return OpenApiChecker(doc.is_discarded() ? json{{"paths", json::object()}} : doc);
}

std::string upper(std::string s) {
    for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return s;
}

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

/// A described path with its template filled in ("/api/images/{id}" → "/api/images/7").
std::string concrete(std::string path, std::uint64_t id) {
    if (auto at = path.find("{id}"); at != std::string::npos)
        path.replace(at, 4, std::to_string(id));
    return path;
}

/// An answer, from httplib or read raw from a socket.
struct Answer {
    int status = 0;
    httplib::Headers headers;
    std::string body;
};

Answer answer_of(const httplib::Result& r) {
    if (!r) return {};
    return {r->status, r->headers, r->body};
}

/// Parses the first answer of a raw exchange ("HTTP/1.1 414 …\r\nName: value…\r\n\r\nbody").
Answer answer_of(const std::string& raw) {
    Answer a;
    const auto head_end = raw.find("\r\n\r\n");
    if (raw.rfind("HTTP/1.", 0) != 0 || head_end == std::string::npos) return a;
    a.status = std::atoi(raw.substr(9, 3).c_str());
    std::size_t line = raw.find("\r\n") + 2;
    while (line < head_end) {
        const std::size_t end = raw.find("\r\n", line);
        const std::string field = raw.substr(line, end - line);
        if (auto colon = field.find(':'); colon != std::string::npos) {
            const std::size_t value = field.find_first_not_of(' ', colon + 1);
            a.headers.emplace(field.substr(0, colon),
                              value == std::string::npos ? "" : field.substr(value));
        }
        line = end + 2;
    }
    a.body = raw.substr(head_end + 4);
    if (auto it = a.headers.find("Content-Length"); it != a.headers.end())
        a.body.resize(std::min(a.body.size(), std::stoul(it->second)));
    return a;
}

/// Checks answers against the description and remembers which (path, method, status) were
/// seen.
class Conformance {
  public:
    explicit Conformance(const OpenApiChecker& spec) : spec_(spec) {}

    /// `a` answers the operation (path, method) with `want`, as described for that status.
    void expect(const std::string& path, const std::string& method, int want, const Answer& a,
                const std::string& what) {
        SCOPED_TRACE(upper(method) + " " + path + " (" + what + ")");
        EXPECT_EQ(a.status, want) << a.body;
        if (a.status != want) return;
        const json& response = spec_.response(path, method, a.status);
        ASSERT_TRUE(response.is_object()) << "status " << a.status << " is not described";
        seen_[{path, method}].insert(a.status);
        const json headers = response.value("headers", json::object());
        for (const auto& [name, header] : headers.items())
            EXPECT_TRUE(a.headers.count(name)) << "the described header " << name << " is missing";
        const std::string type = a.headers.count("Content-Type")
                                     ? a.headers.find("Content-Type")->second
                                     : std::string();
        const std::string media = type.substr(0, type.find(';'));
        const json content = response.value("content", json::object());
        ASSERT_TRUE(content.contains(media))
            << "Content-Type '" << type << "' is not described: " << content.dump();
        if (media != "application/json") {
            EXPECT_FALSE(a.body.empty());
            return;
        }
        const json body = json::parse(a.body, nullptr, false);
        ASSERT_FALSE(body.is_discarded()) << a.body;
        for (const std::string& problem : spec_.validate(content[media].at("schema"), body))
            ADD_FAILURE() << problem << "\nin " << a.body.substr(0, 2000);
    }

    /// Every operation answered each of its described 2xx statuses and at least two error
    /// statuses.
    void expect_all_covered() const {
        for (const auto& [path, method] : spec_.operations()) {
            const auto it = seen_.find({path, method});
            const std::set<int> seen = it == seen_.end() ? std::set<int>() : it->second;
            const json& responses = spec_.doc()["paths"][path][method]["responses"];
            int errors = 0;
            for (int s : seen) errors += s >= 400;
            EXPECT_GE(errors, 2) << upper(method) << " " << path << ": too few errors checked";
            for (const auto& [code, r] : responses.items())
                if (code.size() == 3 && code[0] == '2') {
                    EXPECT_TRUE(seen.count(std::stoi(code)))
                        << upper(method) << " " << path << " never answered " << code;
                }
        }
    }

  private:
    const OpenApiChecker& spec_;
    std::map<std::pair<std::string, std::string>, std::set<int>> seen_;
};

std::string method_line(const std::string& method, const std::string& target) {
    return upper(method) + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
}

}  // namespace

TEST(OpenApi, SchemaCheckerRejectsWrongShapes) {
    const OpenApiChecker spec = load_spec();
    const json error = {{"$ref", "#/components/schemas/Error"}};
    EXPECT_TRUE(spec.validate(error, {{"error", "bad k"}, {"status", 400}}).empty());
    EXPECT_EQ(spec.validate(error, {{"error", "bad k"}}).size(), 1u);
    EXPECT_EQ(spec.validate(error, {{"error", "bad k"}, {"status", "400"}}).size(), 1u);
    EXPECT_EQ(spec.validate(error, {{"error", "bad k"}, {"status", 200}}).size(), 1u);
    const json results = {{"$ref", "#/components/schemas/SearchResponse"}};
    const json hit = {{"id", 1},
                      {"score", 0.5},
                      {"source", "a.png"},
                      {"width", 64},
                      {"height", 64},
                      {"url", "/api/images/1"},
                      {"thumbnail_url", "/api/images/1/thumbnail"}};
    json answer = {{"query", {{"type", "text"}, {"k", 1}, {"offset", 0}, {"mode", "semantic"}}},
                   {"results", {hit}},
                   {"took_ms", 1.5}};
    EXPECT_TRUE(spec.validate(results, answer).empty());
    answer["results"][0]["id"] = "1";
    EXPECT_EQ(spec.validate(results, answer).size(), 1u);
    answer["query"]["type"] = "audio";
    EXPECT_EQ(spec.validate(results, answer).size(), 2u);
    EXPECT_FALSE(spec.validate({{"oneOf", json::array()}}, 1).empty());
    EXPECT_FALSE(spec.validate({{"$ref", "#/components/schemas/Nothing"}}, 1).empty());
    EXPECT_EQ(openapi_paths_of(R"(/api/images/(\d+)/similar)"),
              std::vector<std::string>{"/api/images/{id}/similar"});
    EXPECT_EQ(openapi_paths_of(R"(/|/app\.js)"), (std::vector<std::string>{"/", "/app.js"}));
    EXPECT_TRUE(openapi_paths_of(R"(/api/(\w+))").empty());
}

TEST(OpenApi, EveryRegisteredRouteIsDescribed) {
    const OpenApiChecker spec = load_spec();
    TempDir dir("openapi-routes");
    fs::copy(base_collection(), dir / "data", fs::copy_options::recursive);
    CollectionOptions options;
    options.read_only = true;
    auto collection = Collection::open(dir / "data", options);
    const server::Server srv(*collection, false, {});
    const std::vector<server::RouteInfo> routes = srv.routes();
    ASSERT_GE(routes.size(), 10u);
    const auto described = spec.operations();
    std::set<std::pair<std::string, std::string>> registered;
    for (const server::RouteInfo& r : routes) {
        const auto paths = openapi_paths_of(r.pattern);
        EXPECT_FALSE(paths.empty()) << "the test cannot read the route pattern " << r.pattern;
        for (const std::string& p : paths) {
            const std::pair<std::string, std::string> op = {p, lower(r.method)};
            registered.insert(op);
            EXPECT_TRUE(described.count(op))
                << r.method << " " << p << " (route \"" << r.name << "\") is not described";
        }
    }
    for (const auto& op : described)
        EXPECT_TRUE(registered.count(op))
            << upper(op.second) << " " << op.first << " is described but the server has no such "
            << "route";
}

TEST(OpenApi, EveryDescribedOperationAnswersAsDescribed) {
    const OpenApiChecker spec = load_spec();
    Conformance c(spec);
    // A writable server (small upload limit, for a 413 in the handler) and a read-only one.
    Served rw("openapi-rw", {"--token-file", "TOKEN", "--max-upload-mb", "0.05"});
    Served ro("openapi-ro");
    ASSERT_GT(rw.port, 0) << rw.serve->output();
    ASSERT_GT(ro.port, 0) << ro.serve->output();
    auto cli = rw.serve->client();
    auto ro_cli = ro.serve->client();
    const auto files = emoji_files();
    const std::string png = read_all(files[0]), new_png = read_all(files[45]);
    const httplib::Headers no_auth;
    const std::string json_type = "application/json";

    // Search, and a stored id for the routes that need one.
    const auto found = cli.Get("/api/search?q=cat&k=3");
    c.expect("/api/search", "get", 200, answer_of(found), "text");
    const json first = parse(found);
    ASSERT_FALSE(first["results"].empty());
    const std::uint64_t id = first["results"][0]["id"].get<std::uint64_t>();
    const std::uint64_t unknown = 999999;
    c.expect("/api/search", "get", 400, answer_of(cli.Get("/api/search")), "no q");
    c.expect("/api/search", "get", 200,
             answer_of(cli.Get("/api/search?q=face&where=format=png&where=min_width=1")),
             "filtered");
    c.expect("/api/search", "get", 404,
             answer_of(cli.Get("/api/search?q=face&where=field.vendor=google")), "no such field");
    c.expect("/api/search", "get", 400, answer_of(cli.Get("/api/search?q=cat&k=0")), "k 0");

    c.expect("/api/search", "post", 200,
             answer_of(cli.Post("/api/search?k=2", image_form(png, "a.png"))), "multipart");
    c.expect("/api/search", "post", 200,
             answer_of(cli.Post("/api/search", R"({"text": "Katze", "k": 2})", json_type)),
             "JSON text");
    c.expect("/api/search", "post", 200,
             answer_of(cli.Post("/api/search", json{{"id", id}}.dump(), json_type)), "JSON id");
    c.expect("/api/search", "post", 400,
             answer_of(cli.Post("/api/search", R"({"text": "a", "id": 1})", json_type)),
             "two kinds");
    c.expect(
        "/api/search", "post", 200,
        answer_of(cli.Post(
            "/api/search",
            json{{"terms", {{{"text", "cat"}}, {{"id", id}, {"weight", -0.5}}}}, {"k", 2}}.dump(),
            json_type)),
        "JSON terms");
    c.expect("/api/search", "post", 200,
             answer_of(cli.Post(
                 "/api/search?k=2",
                 {{"terms", R"([{"image":"p"},{"text":"cat","weight":0.5}])", "", json_type},
                  {"p", png, "p.png", "image/png"}})),
             "multipart terms");
    c.expect(
        "/api/search", "post", 400,
        answer_of(cli.Post("/api/search", R"({"terms": [{"text": "a", "weight": 0}]})", json_type)),
        "weights all 0");
    c.expect(
        "/api/search", "post", 403,
        answer_of(cli.Post("/api/search", R"({"image_url": "http://127.0.0.1/a.png"})", json_type)),
        "image_url disabled");
    c.expect("/api/search", "post", 404,
             answer_of(cli.Post("/api/search", json{{"id", unknown}}.dump(), json_type)),
             "unknown id");
    c.expect(
        "/api/search", "post", 413,
        answer_of(cli.Post("/api/search", image_form(png + std::string(60000, '\0'), "b.png"))),
        "image over the limit");
    c.expect("/api/search", "post", 415, answer_of(cli.Post("/api/search", "cat", "text/plain")),
             "text/plain");

    // Images: add (201, then 200 for the same bytes), read, thumbnail, similar, delete.
    const auto added =
        cli.Post("/api/images", kAuth,
                 {{"image", new_png, "new.png", "image/png"}, {"caption", "a new one", "", ""}});
    c.expect("/api/images", "post", 201, answer_of(added), "new image");
    const std::uint64_t new_id = parse(added).value("id", std::uint64_t{0});
    c.expect("/api/images", "post", 200,
             answer_of(cli.Post("/api/images", kAuth, image_form(new_png, "again.png"))),
             "same bytes");
    c.expect("/api/images", "post", 401,
             answer_of(cli.Post("/api/images", no_auth, image_form(new_png, "a.png"))), "no token");
    c.expect("/api/images", "post", 403,
             answer_of(ro_cli.Post("/api/images", kAuth, image_form(new_png, "a.png"))),
             "read-only server");
    c.expect("/api/images", "post", 415,
             answer_of(cli.Post("/api/images", kAuth, image_form("just text", "a.png"))),
             "not an image");
    c.expect("/api/images", "post", 400,
             answer_of(cli.Post("/api/images", kAuth, R"({"caption": "no url"})", json_type)),
             "no image_url");
    c.expect("/api/images", "post", 413,
             answer_of(cli.Post("/api/images", kAuth,
                                image_form(png + std::string(60000, '\0'), "b.png"))),
             "image over the limit");

    for (const std::uint64_t i : {id, new_id}) {
        c.expect("/api/images/{id}", "get", 200,
                 answer_of(cli.Get(concrete("/api/images/{id}", i))), "stored");
        c.expect("/api/images/{id}/thumbnail", "get", 200,
                 answer_of(cli.Get(concrete("/api/images/{id}/thumbnail", i))), "stored");
        c.expect("/api/images/{id}/similar", "get", 200,
                 answer_of(cli.Get(concrete("/api/images/{id}/similar", i) + "?k=2")), "stored");
    }
    for (const std::string path :
         {"/api/images/{id}", "/api/images/{id}/thumbnail", "/api/images/{id}/similar"})
        c.expect(path, "get", 404, answer_of(cli.Get(concrete(path, unknown))), "unknown id");
    c.expect("/api/images/{id}/similar", "get", 400,
             answer_of(cli.Get(concrete("/api/images/{id}/similar", id) + "?k=abc")), "k abc");
    c.expect("/api/images/{id}/explain", "get", 200,
             answer_of(cli.Get(concrete("/api/images/{id}/explain", id) + "?q=red%20heart")),
             "stored");
    c.expect("/api/images/{id}/explain", "get", 404,
             answer_of(cli.Get(concrete("/api/images/{id}/explain", unknown) + "?q=heart")),
             "unknown id");
    c.expect("/api/images/{id}/explain", "get", 400,
             answer_of(cli.Get(concrete("/api/images/{id}/explain", id))), "no q");

    const std::string new_path = concrete("/api/images/{id}", new_id);
    c.expect("/api/images/{id}", "delete", 401, answer_of(cli.Delete(new_path)), "no token");
    c.expect("/api/images/{id}", "delete", 403, answer_of(ro_cli.Delete(new_path, kAuth)),
             "read-only server");
    c.expect("/api/images/{id}", "delete", 200, answer_of(cli.Delete(new_path, kAuth)), "added");
    c.expect("/api/images/{id}", "delete", 404, answer_of(cli.Delete(new_path, kAuth)), "again");

    // Service routes and the page.
    c.expect("/api/health", "get", 200, answer_of(cli.Get("/api/health")), "writable");
    c.expect("/api/health", "get", 200, answer_of(ro_cli.Get("/api/health")), "read-only");
    c.expect("/metrics", "get", 200, answer_of(cli.Get("/metrics")), "metrics");
    const auto served_spec = cli.Get("/api/openapi.json");
    c.expect("/api/openapi.json", "get", 200, answer_of(served_spec), "the description");
    ASSERT_TRUE(served_spec);
    EXPECT_TRUE(served_spec->body == read_all(source_dir() / "docs/openapi.json"))
        << "the binary serves another description than docs/openapi.json (rebuild it)";
    EXPECT_EQ(json::parse(served_spec->body)["info"]["version"],
              parse(cli.Get("/api/health"))["version"]);
    for (const std::string path :
         {"/", "/index.html", "/app.css", "/app.js", "/api.js", "/detail_view.js",
          "/image_input.js", "/result_item.js", "/terms.js"})
        c.expect(path, "get", 200, answer_of(cli.Get(path)), "page");

    // Every path: another method is 405 with the described methods in Allow; every operation:
    // a request line or a header over the limits is 414 or 431; a POST without a length, 411.
    for (const auto& [path, item] : spec.doc()["paths"].items()) {
        std::set<std::string> methods;
        for (const auto& [p, m] : spec.operations())
            if (p == path) methods.insert(upper(m));
        const Answer put =
            answer_of(raw_request(rw.port, method_line("PUT", concrete(path, id)) +
                                               "Content-Length: 2\r\nConnection: close\r\n\r\n{}"));
        std::set<std::string> allowed;
        std::istringstream allow(put.headers.count("Allow") ? put.headers.find("Allow")->second
                                                            : "");
        for (std::string m; std::getline(allow >> std::ws, m, ',');) allowed.insert(m);
        EXPECT_EQ(allowed, methods) << "Allow of " << path;
        for (const std::string& m : methods) c.expect(path, lower(m), 405, put, "PUT");
        for (const std::string& m : methods) {
            const std::string target = concrete(path, id);
            c.expect(
                path, lower(m), 414,
                answer_of(raw_request(
                    rw.port, method_line(m, target + "?q=" + std::string(9000, 'a')) + "\r\n")),
                "request line over 8192 bytes");
            c.expect(path, lower(m), 431,
                     answer_of(raw_request(rw.port, method_line(m, target) + "X-Long: " +
                                                        std::string(20000, 'a') + "\r\n\r\n")),
                     "header over 16 KiB");
            if (m == "POST")
                c.expect(path, "post", 411,
                         answer_of(raw_request(rw.port, method_line(m, target) +
                                                            "Content-Type: application/json\r\n"
                                                            "Connection: close\r\n\r\n")),
                         "no Content-Length");
        }
    }
    c.expect_all_covered();
}

}  // namespace qiss::test
