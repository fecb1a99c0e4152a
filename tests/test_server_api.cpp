// `qiss serve` end to end, one endpoint after the other: answers, every error case as a JSON
// body with its status, and the token on the write endpoints.
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <tuple>

#include "engine/collection.h"
#include "engine/query_spec.h"
#include "server/answer_json.h"
#include "server_fixture.h"

using namespace qiss;
using namespace qiss::test;

TEST_F(ServerTest, AnswersSearchImageHealthPageAndMetrics) {
    Served& s = start("server-read");
    ASSERT_GT(s.port, 0);
    auto cli = s.serve->client();
    EXPECT_NE(s.serve->output().find("qiss: serving " + s.data.string() + " at http://127.0.0.1:"),
              std::string::npos);

    json health = parse(cli.Get("/api/health"));
    EXPECT_EQ(health["status"], "ok");
    EXPECT_EQ(health["images"], 40);
    EXPECT_EQ(health["index_vectors"], 40);
    EXPECT_EQ(health["writable"], false);
    EXPECT_GT(health["model"]["dim"].get<int>(), 0);

    auto r = cli.Get("/api/search?q=un%20chat%20qui%20dort%20sur%20le%20canap%C3%A9&k=5");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    json t = parse(r);
    EXPECT_EQ(t["query"]["type"], "text");
    EXPECT_EQ(t["query"]["language"]["code"], "fr");
    EXPECT_GE(t["took_ms"].get<double>(), 0);
    ASSERT_EQ(t["results"].size(), 5u);
    for (const auto& h : t["results"]) {
        const std::string id = std::to_string(h["id"].get<std::uint64_t>());
        EXPECT_EQ(h["url"], "/api/images/" + id);
        EXPECT_EQ(h["thumbnail_url"], "/api/images/" + id + "/thumbnail");
        EXPECT_EQ(h["width"], 64);
    }
    json page2 = parse(
        cli.Get("/api/search?q=un%20chat%20qui%20dort%20sur%20le%20canap%C3%A9&k=2&offset=2"));
    EXPECT_EQ(page2["results"][0]["id"], t["results"][2]["id"]);

    const std::uint64_t first = t["results"][0]["id"];
    const std::string base = "/api/images/" + std::to_string(first);
    json record = parse(cli.Get(base));
    EXPECT_EQ(record["id"], first);
    EXPECT_EQ(record["format"], "png");
    EXPECT_EQ(record["source"], t["results"][0]["source"]);
    auto thumb = cli.Get(base + "/thumbnail");
    ASSERT_TRUE(thumb);
    EXPECT_EQ(thumb->status, 200);
    EXPECT_EQ(thumb->get_header_value("Content-Type"), "image/jpeg");
    EXPECT_NE(thumb->get_header_value("Cache-Control").find("max-age"), std::string::npos);
    ASSERT_GT(thumb->body.size(), 2u);
    EXPECT_EQ(thumb->body.substr(0, 2), "\xFF\xD8");
    json similar = parse(cli.Get(base + "/similar?k=3"));
    EXPECT_EQ(similar["results"].size(), 3u);
    for (const auto& h : similar["results"]) EXPECT_NE(h["id"], first);

    // POST: JSON text and id, and an uploaded image that comes back first with a score of ~1.
    json by_text = parse(cli.Post("/api/search?k=3", R"({"text":"Katze"})", "application/json"));
    EXPECT_EQ(by_text["results"].size(), 3u);
    json by_id =
        parse(cli.Post("/api/search", json{{"id", first}, {"k", 2}}.dump(), "application/json"));
    EXPECT_EQ(by_id["query"]["type"], "id");
    EXPECT_EQ(by_id["results"].size(), 2u);
    const fs::path png = emoji_files()[17];
    auto up = cli.Post("/api/search?k=4", image_form(read_all(png), png.filename().string()));
    json by_image = parse(up);
    ASSERT_EQ(by_image["results"].size(), 4u) << up->body;
    EXPECT_EQ(by_image["query"]["type"], "image");
    EXPECT_EQ(fs::path(by_image["results"][0]["source"].get<std::string>()).filename(),
              png.filename());
    EXPECT_NEAR(by_image["results"][0]["score"].get<double>(), 1.0, 1e-3);

    // The page and its files.
    auto page = cli.Get("/");
    ASSERT_TRUE(page);
    EXPECT_EQ(page->status, 200);
    EXPECT_NE(page->get_header_value("Content-Type").find("text/html"), std::string::npos);
    EXPECT_NE(page->body.find("app.js"), std::string::npos);
    auto js = cli.Get("/app.js");
    ASSERT_TRUE(js);
    EXPECT_EQ(js->status, 200);
    EXPECT_NE(js->get_header_value("Content-Type").find("javascript"), std::string::npos);

    auto m = cli.Get("/metrics");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->status, 200);
    for (const char* want :
         {"qiss_http_requests_total{endpoint=\"search\",status=\"200\"}",
          "qiss_http_request_duration_seconds_bucket{endpoint=\"search\",le=\"+Inf\"}",
          "qiss_http_requests_total{endpoint=\"thumbnail\",status=\"200\"}",
          "qiss_queries_total{language=\"fr\"} 2", "qiss_index_vectors 40",
          "# TYPE qiss_http_request_duration_seconds histogram"})
        EXPECT_NE(m->body.find(want), std::string::npos) << want << "\n" << m->body;

    EXPECT_EQ(s.serve->stop(SIGINT), 0) << s.serve->output();
}

TEST_F(ServerTest, EveryErrorIsAJsonBodyWithTheRightStatus) {
    Served& s = start("server-errors", {"--max-upload-mb", "0.05"});
    ASSERT_GT(s.port, 0);
    auto cli = s.serve->client();
    const std::string png = read_all(emoji_files()[3]);

    expect_error(cli.Post("/api/search", "{\"text\": ", "application/json"), 400, "invalid JSON");
    expect_error(cli.Post("/api/search", "[1,2]", "application/json"), 400, "JSON object");
    expect_error(cli.Post("/api/search", R"({"text":"a","id":1})", "application/json"), 400,
                 "exactly one");
    expect_error(cli.Post("/api/search", R"({"text":"cat","k":"ten"})", "application/json"), 400,
                 "\"k\" must be an integer");
    expect_error(cli.Post("/api/search", "cat", "text/plain"), 415, "Content-Type");
    expect_error(cli.Get("/api/images/987654"), 404, "no image with id 987654");
    expect_error(cli.Get("/api/images/987654/thumbnail"), 404, "no image with id");
    expect_error(cli.Get("/api/images/987654/similar"), 404, "no image with id");
    expect_error(cli.Get("/api/images/99999999999999999999999"), 404, "no image with id");
    expect_error(cli.Post("/api/search", R"({"id":987654})", "application/json"), 404,
                 "no image with id");
    expect_error(cli.Get("/api/search?q=cat&k=-1"), 400, "k must be between 1 and 1000");
    expect_error(cli.Get("/api/search?q=cat&k=1001"), 400, "k must be between");
    expect_error(cli.Get("/api/search?q=cat&k=abc"), 400, "k must be an integer");
    expect_error(cli.Get("/api/search?q=cat&offset=10001"), 400, "offset must be between");
    expect_error(cli.Get("/api/search?q=%FF%FEcat"), 400, "UTF-8");
    expect_error(cli.Get("/api/search?q=%20%20"), 400, "empty");
    expect_error(cli.Get("/api/search"), 400, "missing parameter q");
    expect_error(cli.Get("/api/search?q=" + std::string(2001, 'a')), 400, "limit is 2000");
    expect_error(cli.Get("/api/nothing"), 404, "no such route");
    expect_error(cli.Get("/api/images/abc"), 404, "no such route");
    auto put = cli.Put("/api/search", "{}", "application/json");
    expect_error(put, 405, "not allowed");
    if (put) {
        EXPECT_EQ(put->get_header_value("Allow"), "GET, POST");
    }
    expect_error(cli.Delete("/api/health"), 405, "not allowed");

    // Uploads: not an image, a truncated image, over the limit (in the handler, and before).
    expect_error(cli.Post("/api/search", image_form("just some text", "notes.png")), 415,
                 "not an image");
    expect_error(cli.Post("/api/search", image_form(png.substr(0, png.size() / 2), "half.png")),
                 400, "uploaded image");
    expect_error(cli.Post("/api/search",
                          httplib::MultipartFormDataItems{{"file", png, "a.png", "image/png"}}),
                 400, "no `image` or `terms` field");
    std::string big = png + std::string(60000, '\0');
    expect_error(cli.Post("/api/search", image_form(big, "big.png")), 413, "limit");
    expect_error(cli.Post("/api/search", image_form(std::string(300000, 'x'), "huge.png")), 413,
                 "larger than the limit");

    // Writing is disabled without --token-file.
    expect_error(cli.Post("/api/images", kAuth, image_form(png, "a.png")), 403, "disabled");
    expect_error(cli.Delete("/api/images/1", kAuth), 403, "disabled");

    // The server is still up and counted the errors.
    auto m = cli.Get("/metrics");
    ASSERT_TRUE(m);
    EXPECT_NE(m->body.find("qiss_http_requests_total{endpoint=\"search\",status=\"400\"}"),
              std::string::npos);
    EXPECT_NE(m->body.find("qiss_http_requests_total{endpoint=\"unmatched\",status=\"404\"}"),
              std::string::npos);
    EXPECT_NE(m->body.find("status=\"413\""), std::string::npos) << m->body;
}

TEST_F(ServerTest, TokenProtectsAdditionsAndDeletions) {
    Served& s = start("server-write", {"--token-file", "TOKEN", "--max-upload-mb", "1",
                                       "--allow-image-url", "--allow-private-urls"});
    ASSERT_GT(s.port, 0);
    auto cli = s.serve->client();
    EXPECT_EQ(parse(cli.Get("/api/health"))["writable"], true);
    const fs::path png = emoji_files()[100];
    const std::string bytes = read_all(png);
    httplib::MultipartFormDataItems form = image_form(bytes, png.filename().string());
    form.push_back({"caption", "un petit test", "", ""});

    auto missing = cli.Post("/api/images", form);
    expect_error(missing, 401, "Authorization: Bearer");
    if (missing) {
        EXPECT_EQ(missing->get_header_value("WWW-Authenticate"), "Bearer realm=\"qiss\"");
    }
    expect_error(cli.Post("/api/images", {{"Authorization", "Bearer wrong"}}, form), 401,
                 "wrong token");
    expect_error(cli.Post("/api/images", {{"Authorization", "Basic s3cret-token"}}, form), 401,
                 "wrong token");

    auto added = cli.Post("/api/images", kAuth, form);
    ASSERT_TRUE(added);
    ASSERT_EQ(added->status, 201) << added->body;
    json rec = parse(added);
    const std::uint64_t id = rec["id"];
    EXPECT_EQ(rec["caption"], "un petit test");
    EXPECT_EQ(rec["source"], "upload:" + png.filename().string());
    EXPECT_EQ(rec["duplicate"], false);
    EXPECT_EQ(added->get_header_value("Location"), "/api/images/" + std::to_string(id));
    auto again = cli.Post("/api/images", kAuth, form);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200);
    EXPECT_EQ(parse(again)["duplicate"], true);
    EXPECT_EQ(parse(again)["id"], id);

    // The new image is found first when searched with the same picture.
    json found = parse(cli.Post("/api/search?k=3", image_form(bytes, "q.png")));
    ASSERT_FALSE(found["results"].empty());
    EXPECT_EQ(found["results"][0]["id"], id);
    EXPECT_NEAR(found["results"][0]["score"].get<double>(), 1.0, 1e-3);
    EXPECT_EQ(parse(cli.Get("/api/images/" + std::to_string(id)))["caption"], "un petit test");

    // JSON with image_url: the server downloads (here: a thumbnail from itself).
    const std::string url =
        "http://127.0.0.1:" + std::to_string(s.port) + "/api/images/1/thumbnail";
    auto by_url =
        cli.Post("/api/images", kAuth, json{{"image_url", url}, {"caption", "vignette"}}.dump(),
                 "application/json");
    ASSERT_TRUE(by_url);
    EXPECT_EQ(by_url->status, 201) << by_url->body;
    EXPECT_EQ(parse(by_url)["source"], url);
    EXPECT_EQ(parse(by_url)["format"], "jpeg");
    json url_search = parse(
        cli.Post("/api/search", json{{"image_url", url}, {"k", 1}}.dump(), "application/json"));
    EXPECT_EQ(url_search["results"][0]["id"], parse(by_url)["id"]);
    expect_error(cli.Post("/api/images", kAuth, R"({"image_url":"ftp://example.org/a.png"})",
                          "application/json"),
                 400, "ftp://example.org/a.png");
    expect_error(cli.Post("/api/images", kAuth, R"({"image_url":"http://127.0.0.1:1/a.png"})",
                          "application/json"),
                 400, "127.0.0.1:1");
    expect_error(cli.Post("/api/images", kAuth, json{{"image_url", url}, {"caption", 3}}.dump(),
                          "application/json"),
                 400, "caption");
    expect_error(cli.Post("/api/images", kAuth, image_form("GIF89a but not really", "x.gif")), 400,
                 "uploaded image");

    // Deletion.
    const std::string path = "/api/images/" + std::to_string(id);
    expect_error(cli.Delete(path), 401, "Authorization");
    auto del = cli.Delete(path, kAuth);
    ASSERT_TRUE(del);
    EXPECT_EQ(del->status, 200) << del->body;
    EXPECT_EQ(parse(del)["deleted"], true);
    expect_error(cli.Get(path), 404, "no image with id");
    expect_error(cli.Delete(path, kAuth), 404, "no image with id");
    json after = parse(cli.Post("/api/search?k=3", image_form(bytes, "q.png")));
    for (const auto& h : after["results"]) EXPECT_NE(h["id"], id);

    // A clean stop saves the index: 40 + 2 added - 1 deleted.
    EXPECT_EQ(s.serve->stop(SIGTERM), 0) << s.serve->output();
    auto info = test::run_qiss("info --json --data " + s.data.string(), false);
    ASSERT_EQ(info.exit_code, 0) << info.output;
    json i = json::parse(info.output);
    EXPECT_EQ(i["images"], 41);
    EXPECT_EQ(i["index_vectors"], 41);
}

TEST_F(ServerTest, CliAndApiShareOneDefaultK) {
    // The server answered 20 results without k and `qiss search` 10 without -k.
    Served& s = start("server-default-k");
    auto cli = s.serve->client();
    EXPECT_EQ(parse(cli.Get("/api/search?q=cat"))["results"].size(),
              static_cast<std::size_t>(kDefaultK));
    EXPECT_EQ(parse(cli.Get("/api/images/1/similar"))["results"].size(),
              static_cast<std::size_t>(kDefaultK));
    auto r = test::run_qiss("search --json --data " + s.data.string() + " --text cat",
                            /*with_stderr=*/false);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(json::parse(r.output)["results"].size(), static_cast<std::size_t>(kDefaultK));
}

// Paths a client sees: relative to the folder the image was indexed from (a nested folder keeps
// its part), the model's file name; the absolute ones only with --absolute-paths.
TEST(ServerPaths, RelativeToTheIndexedFolderUnlessAbsolutePaths) {
    TempDir dir("server-paths");
    const auto files = emoji_files();
    fs::create_directories(dir / "in/nested");
    for (std::size_t i = 0; i < 5; ++i)
        fs::copy_file(files[i], dir / "in/nested" / files[i].filename());
    const fs::path data = dir / "data";
    auto r = run_qiss("index --data " + data.string() + " --model " + std::string(QISS_TEST_DATA) +
                      "/tiny.qiss " + (dir / "in").string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const fs::path in = fs::absolute(dir / "in").lexically_normal();

    for (const bool absolute : {false, true}) {
        SCOPED_TRACE(absolute ? "--absolute-paths" : "default");
        ServeProcess serve(
            data, dir.path(),
            absolute ? std::vector<std::string>{"--absolute-paths"} : std::vector<std::string>{});
        ASSERT_GT(serve.wait_port(), 0) << serve.output();
        auto cli = serve.client();
        const json found = parse(cli.Get("/api/search?q=smile&k=5"));
        ASSERT_EQ(found["results"].size(), 5u);
        for (const auto& h : found["results"]) {
            const std::string source = h["source"];
            const fs::path name = fs::path(source).filename();
            EXPECT_EQ(source, absolute ? (in / "nested" / name).string()
                                       : (fs::path("nested") / name).string());
            const json record = parse(cli.Get(h["url"].get<std::string>()));
            EXPECT_EQ(record["source"], source);
        }
        const json health = parse(cli.Get("/api/health"));
        const std::string model = health["model"]["path"];
        EXPECT_EQ(fs::path(model).filename(), "model.qiss");
        EXPECT_EQ(fs::path(model).is_absolute(), absolute) << model;
        EXPECT_EQ(serve.stop(), 0) << serve.output();
    }
}

TEST(ServerPaths, ShownSourceOfEachKindOfRecord) {
    ImageRecord r;
    r.source = "/srv/photos/2023/cat.jpg";
    r.root = "/srv/photos";
    EXPECT_EQ(shown_source(r, PathDisplay::Relative), "2023/cat.jpg");
    EXPECT_EQ(shown_source(r, PathDisplay::Absolute), "/srv/photos/2023/cat.jpg");
    r.root = "/elsewhere";  // not under its root: never a path with ".."
    EXPECT_EQ(shown_source(r, PathDisplay::Relative), "cat.jpg");
    r.root.clear();  // a record of an older collection
    EXPECT_EQ(shown_source(r, PathDisplay::Relative), "cat.jpg");
    for (const std::string s : {"https://example.org/a.png", "upload:a.png", "upload"}) {
        r.source = s;
        EXPECT_EQ(shown_source(r, PathDisplay::Relative), s);
    }
}

// An upload and `qiss index` prepare an image the same way (one prepare_image): a large JPEG,
// decoded at a reduced size by both, gets the same record fields, thumbnail and vector.
TEST_F(ServerTest, UploadStoresWhatIndexStores) {
    Served& s = start("server-prepare", {"--token-file", "TOKEN"});
    ASSERT_GT(s.port, 0);
    const fs::path photo = s.dir / "photo/big.jpg";
    fs::create_directories(photo.parent_path());
    cv::Mat bgr(900, 1200, CV_8UC3);
    cv::randu(bgr, 0, 255);
    cv::GaussianBlur(bgr, bgr, cv::Size(31, 31), 0);
    cv::rectangle(bgr, {200, 150}, {900, 700}, cv::Scalar(30, 60, 220), cv::FILLED);
    ASSERT_TRUE(cv::imwrite(photo.string(), bgr));
    const std::string bytes = read_all(photo);

    auto added = s.serve->client().Post("/api/images", kAuth, image_form(bytes, "big.jpg"));
    ASSERT_TRUE(added);
    ASSERT_EQ(added->status, 201) << added->body;
    const std::uint64_t uploaded = parse(added)["id"];
    EXPECT_EQ(s.serve->stop(), 0) << s.serve->output();

    const fs::path indexed = s.dir / "indexed";
    auto r = run_qiss("index --data " + indexed.string() + " --model " +
                      std::string(QISS_TEST_DATA) + "/tiny.qiss " + photo.parent_path().string());
    ASSERT_EQ(r.exit_code, 0) << r.output;

    CollectionOptions ro;
    ro.read_only = true;
    auto by_upload = Collection::open(s.data, ro);
    auto by_index = Collection::open(indexed, ro);
    const auto a = by_upload->store().get(uploaded);
    const auto id = by_index->store().find_hash(a ? a->content_hash : "");
    ASSERT_TRUE(a && id);
    const auto b = by_index->store().get(*id);
    EXPECT_EQ(a->width, 1200);
    EXPECT_EQ(a->height, 900);
    EXPECT_EQ(std::tie(a->width, a->height, a->format), std::tie(b->width, b->height, b->format));
    EXPECT_EQ(by_upload->store().thumbnail(uploaded), by_index->store().thumbnail(*id));
    const auto va = by_upload->vector_of(uploaded), vb = by_index->vector_of(*id);
    ASSERT_TRUE(va && vb);
    ASSERT_EQ(va->size(), vb->size());
    for (std::size_t i = 0; i < va->size(); ++i) EXPECT_NEAR((*va)[i], (*vb)[i], 1e-5) << i;
}

TEST_F(ServerTest, PageServesOnlyItsOwnFilesFromTheBinaryOrTheWebDir) {
    // --web-dir: a copy of web/ with an edited app.js and a file that is not the page's.
    TempDir web("server-page-web");
    for (const auto& e : fs::directory_iterator(source_dir() / "web"))
        fs::copy_file(e.path(), web / e.path().filename().string());
    std::ofstream(web / "app.js", std::ios::app) << "\n// edited in the web dir\n";
    std::ofstream(web / "secret.txt") << "not part of the page\n";
    Served& s = start("server-page", {"--web-dir", web.path().string()});
    ASSERT_GT(s.port, 0);
    auto cli = s.serve->client();

    const std::vector<std::tuple<std::string, std::string>> files = {
        {"/", "text/html"},
        {"/index.html", "text/html"},
        {"/app.css", "text/css"},
        {"/app.js", "text/javascript"},
        {"/api.js", "text/javascript"},
        {"/result_item.js", "text/javascript"},
        {"/detail_view.js", "text/javascript"},
        {"/image_input.js", "text/javascript"},
        {"/terms.js", "text/javascript"}};
    for (const auto& [path, type] : files) {
        auto r = cli.Get(path);
        ASSERT_TRUE(r) << path;
        EXPECT_EQ(r->status, 200) << path;
        EXPECT_EQ(r->get_header_value("Content-Type"), type + "; charset=utf-8") << path;
        const std::string name = path == "/" ? "index.html" : path.substr(1);
        EXPECT_EQ(r->body, read_all(web / name)) << path << " is not read from the web dir";
    }
    // Each module app.js imports is one the server serves.
    const std::string app = read_all(web / "app.js");
    static const std::regex import_re(R"(from '\./([a-z_]+\.js)')");
    int imports = 0;
    for (auto it = std::sregex_iterator(app.begin(), app.end(), import_re);
         it != std::sregex_iterator(); ++it, ++imports) {
        auto r = cli.Get("/" + (*it)[1].str());
        EXPECT_TRUE(r && r->status == 200) << (*it)[1].str();
    }
    EXPECT_GE(imports, 5);

    for (const std::string path :
         {"/secret.txt", "/../CMakeLists.txt", "/web/app.js", "/app.js/", "//app.js", "/APP.JS",
          "/index.html.bak", "/%2e%2e/CMakeLists.txt", "/app"})
        expect_error(cli.Get(path), 404, "no such route");
    // A page file the folder no longer holds is missing, not served from the binary.
    fs::remove(web / "terms.js");
    expect_error(cli.Get("/terms.js"), 404, "/terms.js cannot be read from the page folder");
    EXPECT_NE(s.serve->output().find("/terms.js cannot be read from " + web.path().string()),
              std::string::npos)
        << s.serve->output();
}
