// GET /metrics of the real `qiss serve`, read the way Prometheus reads it: every line is a
// HELP, a TYPE or a sample `name{labels} value`; a family's HELP and TYPE come before its
// samples, which are not interleaved with another family's; histogram buckets are cumulative,
// sorted by `le` and end with le="+Inf" equal to `_count`; the counts are those of the requests
// sent.
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "server_fixture.h"

namespace qiss::test {
namespace {

/// One sample line.
struct Sample {
    std::string name;
    std::map<std::string, std::string> labels;
    double value = 0;
};

/// The exposition parsed strictly; `errors` lists every violation with its line.
struct Exposition {
    std::map<std::string, std::string> types;  ///< family → counter, gauge, histogram, …
    std::vector<Sample> samples;
    std::vector<std::string> errors;

    /// The value of the sample with this name and these labels, if there is one.
    std::optional<double> value(const std::string& name,
                                const std::map<std::string, std::string>& labels = {}) const {
        for (const Sample& s : samples)
            if (s.name == name && s.labels == labels) return s.value;
        return std::nullopt;
    }
};

std::optional<double> parse_value(const std::string& text) {
    if (text == "+Inf") return INFINITY;
    if (text == "-Inf") return -INFINITY;
    if (text == "NaN") return NAN;
    static const std::regex number(R"([-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)");
    if (!std::regex_match(text, number)) return std::nullopt;
    return std::stod(text);
}

/// Reads `{a="x",b="y\"z"}` from `text` at `pos` (just after the name); false if malformed.
bool parse_labels(const std::string& text, std::size_t& pos,
                  std::map<std::string, std::string>& labels) {
    if (pos >= text.size() || text[pos] != '{') return true;
    ++pos;
    static const std::regex label_name(R"([a-zA-Z_][a-zA-Z0-9_]*)");
    while (pos < text.size() && text[pos] != '}') {
        const std::size_t eq = text.find('=', pos);
        if (eq == std::string::npos) return false;
        const std::string name = text.substr(pos, eq - pos);
        if (!std::regex_match(name, label_name) || labels.count(name)) return false;
        pos = eq + 1;
        if (pos >= text.size() || text[pos] != '"') return false;
        std::string value;
        for (++pos; pos < text.size() && text[pos] != '"'; ++pos) {
            if (text[pos] != '\\') {
                value += text[pos];
                continue;
            }
            if (++pos >= text.size()) return false;
            if (text[pos] == 'n')
                value += '\n';
            else if (text[pos] == '\\' || text[pos] == '"')
                value += text[pos];
            else
                return false;
        }
        if (pos >= text.size()) return false;
        labels[name] = value;
        ++pos;  // the closing quote
        if (pos < text.size() && text[pos] == ',') ++pos;
    }
    if (pos >= text.size()) return false;
    ++pos;  // '}'
    return true;
}

/// The family a sample belongs to: a histogram's `_bucket`, `_sum` and `_count` samples
/// belong to the histogram.
std::string family_of(const std::string& sample, const std::map<std::string, std::string>& types) {
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        const std::string s = suffix;
        if (sample.size() > s.size() &&
            sample.compare(sample.size() - s.size(), s.size(), s) == 0) {
            const std::string base = sample.substr(0, sample.size() - s.size());
            if (auto it = types.find(base); it != types.end() && it->second == "histogram")
                return base;
        }
    }
    return sample;
}

Exposition parse_exposition(const std::string& body) {
    Exposition e;
    auto fail = [&e](std::size_t n, const std::string& line, const std::string& why) {
        e.errors.push_back("line " + std::to_string(n) + ": " + why + ": " + line);
    };
    if (body.empty() || body.back() != '\n') e.errors.push_back("the body does not end with \\n");
    static const std::regex metric_name(R"([a-zA-Z_:][a-zA-Z0-9_:]*)");
    static const std::regex help(R"(# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .*)");
    static const std::regex type(
        R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
    std::set<std::string> helped, done;  // families with a HELP; families whose samples ended
    std::string current;                 // the family of the previous sample
    std::istringstream in(body);
    std::string line;
    for (std::size_t n = 1; std::getline(in, line); ++n) {
        std::smatch m;
        if (line.empty()) {
            fail(n, line, "empty line");
        } else if (line.rfind("# HELP ", 0) == 0) {
            if (!std::regex_match(line, m, help))
                fail(n, line, "malformed HELP");
            else if (!helped.insert(m[1]).second)
                fail(n, line, "second HELP");
            else if (e.types.count(m[1]))
                fail(n, line, "HELP after TYPE");
        } else if (line.rfind("# TYPE ", 0) == 0) {
            if (!std::regex_match(line, m, type))
                fail(n, line, "malformed TYPE");
            else if (e.types.count(m[1]))
                fail(n, line, "second TYPE");
            else if (done.count(m[1]) || current == m[1].str())
                fail(n, line, "TYPE after samples");
            else
                e.types[m[1]] = m[2];
        } else if (line[0] == '#') {
            fail(n, line, "comment that is neither HELP nor TYPE");
        } else {
            Sample s;
            std::size_t pos = 0;
            while (pos < line.size() && line[pos] != '{' && line[pos] != ' ') ++pos;
            s.name = line.substr(0, pos);
            if (!std::regex_match(s.name, metric_name)) {
                fail(n, line, "bad metric name");
                continue;
            }
            if (!parse_labels(line, pos, s.labels) || pos >= line.size() || line[pos] != ' ') {
                fail(n, line, "malformed labels");
                continue;
            }
            const auto value = parse_value(line.substr(pos + 1));
            if (!value) {
                fail(n, line, "the value is not a number (or has a timestamp)");
                continue;
            }
            s.value = *value;
            const std::string family = family_of(s.name, e.types);
            if (!e.types.count(family)) fail(n, line, "sample without a TYPE before it");
            if (!helped.count(family)) fail(n, line, "sample without a HELP before it");
            if (family != current) {
                if (done.count(family)) fail(n, line, "family's samples interleaved");
                if (!current.empty()) done.insert(current);
                current = family;
            }
            e.samples.push_back(std::move(s));
        }
    }
    return e;
}

/// Checks every histogram: per label set, buckets sorted by le, cumulative, ending with
/// le="+Inf" equal to _count, and a _sum.
void check_histograms(const Exposition& e) {
    for (const auto& [family, type] : e.types) {
        if (type != "histogram") continue;
        std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>>
            buckets;
        for (const Sample& s : e.samples) {
            if (s.name != family + "_bucket") continue;
            auto labels = s.labels;
            ASSERT_TRUE(labels.count("le")) << family << " bucket without le";
            const auto le = parse_value(labels["le"]);
            ASSERT_TRUE(le) << "le=" << labels["le"];
            labels.erase("le");
            buckets[labels].emplace_back(*le, s.value);
        }
        for (const auto& [labels, series] : buckets) {
            ASSERT_FALSE(series.empty());
            for (std::size_t i = 1; i < series.size(); ++i) {
                EXPECT_LT(series[i - 1].first, series[i].first) << family << ": le not increasing";
                EXPECT_LE(series[i - 1].second, series[i].second)
                    << family << ": buckets not cumulative";
            }
            EXPECT_TRUE(std::isinf(series.back().first)) << family << ": last bucket is not +Inf";
            const auto count = e.value(family + "_count", labels);
            ASSERT_TRUE(count) << family << "_count missing";
            EXPECT_EQ(series.back().second, *count) << family << ": +Inf bucket != _count";
            EXPECT_TRUE(e.value(family + "_sum", labels)) << family << "_sum missing";
        }
    }
}

TEST_F(ServerTest, MetricsFollowThePrometheusTextFormat) {
    Served& s = start("server-metrics-format");
    ASSERT_GT(s.port, 0);
    auto cli = s.serve->client();
    for (int i = 0; i < 3; ++i) {
        auto r = cli.Get("/api/search?q=Katze&k=2");
        ASSERT_TRUE(r);
        EXPECT_EQ(r->status, 200) << r->body;
    }
    auto bad = cli.Get("/api/search?k=2");
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
    auto missing = cli.Get("/api/nothing");
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404);

    auto m = cli.Get("/metrics");
    ASSERT_TRUE(m);
    ASSERT_EQ(m->status, 200);
    EXPECT_EQ(m->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
    const Exposition e = parse_exposition(m->body);
    for (const std::string& error : e.errors) ADD_FAILURE() << error;
    check_histograms(e);

    EXPECT_EQ(e.types.at("qiss_images"), "gauge");
    EXPECT_EQ(e.types.at("qiss_index_vectors"), "gauge");
    EXPECT_EQ(e.types.at("qiss_http_requests_total"), "counter");
    EXPECT_EQ(e.types.at("qiss_http_request_duration_seconds"), "histogram");
    EXPECT_EQ(e.types.at("qiss_queries_total"), "counter");
    EXPECT_EQ(e.value("qiss_images"), 40);
    EXPECT_EQ(e.value("qiss_index_vectors"), 40);
    EXPECT_EQ(e.value("qiss_http_requests_total", {{"endpoint", "search"}, {"status", "200"}}), 3);
    EXPECT_EQ(e.value("qiss_http_requests_total", {{"endpoint", "search"}, {"status", "400"}}), 1);
    EXPECT_EQ(e.value("qiss_http_requests_total", {{"endpoint", "unmatched"}, {"status", "404"}}),
              1);
    EXPECT_EQ(e.value("qiss_http_request_duration_seconds_count", {{"endpoint", "search"}}), 4);
    double queries = 0;
    for (const Sample& sample : e.samples)
        if (sample.name == "qiss_queries_total") queries += sample.value;
    EXPECT_EQ(queries, 3) << m->body;
    // Endpoint labels are route names: the raw path never becomes a label value.
    for (const Sample& sample : e.samples) {
        if (sample.labels.count("endpoint")) {
            EXPECT_EQ(sample.labels.at("endpoint").find('/'), std::string::npos) << sample.name;
        }
    }
}

}  // namespace
}  // namespace qiss::test
