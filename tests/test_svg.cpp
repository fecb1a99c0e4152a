// SVG rasterizing with the real librsvg: geometry, transparency, and no external fetches.
#include <atomic>
#include <chrono>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <opencv2/imgcodecs.hpp>

#include "image/svg.h"
#include "test_support.h"

using namespace qiss;

namespace {

std::string red_png() {
    cv::Mat red(8, 8, CV_8UC3, cv::Scalar(0, 0, 255));
    std::vector<unsigned char> buf;
    cv::imencode(".png", red, buf);
    return {buf.begin(), buf.end()};
}

std::string base64(const std::string& in) {
    static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                     (static_cast<unsigned char>(in[i + 1]) << 8) |
                     static_cast<unsigned char>(in[i + 2]);
        for (int s = 18; s >= 0; s -= 6) out += t[(v >> s) & 63];
    }
    if (i < in.size()) {
        unsigned v = static_cast<unsigned char>(in[i]) << 16;
        if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
        out += t[(v >> 18) & 63];
        out += t[(v >> 12) & 63];
        out += i + 1 < in.size() ? t[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

/// Number of pixels whose alpha is above 128.
int opaque_pixels(const cv::Mat& bgra) {
    int n = 0;
    for (int y = 0; y < bgra.rows; ++y)
        for (int x = 0; x < bgra.cols; ++x) n += bgra.at<cv::Vec4b>(y, x)[3] > 128;
    return n;
}

std::string image_svg(const std::string& href) {
    return "<svg xmlns='http://www.w3.org/2000/svg' xmlns:xlink='http://www.w3.org/1999/xlink' "
           "viewBox='0 0 10 10'><image x='0' y='0' width='10' height='10' href='" +
           href + "'/><image x='0' y='0' width='10' height='10' xlink:href='" + href + "'/></svg>";
}

}  // namespace

TEST(Svg, RendersCentredSquareWithStraightAlpha) {
    // A 20x10 document: a red left half, a half-transparent blue right half.
    std::string svg =
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 20 10'>"
        "<rect x='0' y='0' width='10' height='10' fill='#ff0000'/>"
        "<rect x='10' y='0' width='10' height='10' fill='#0000ff' fill-opacity='0.5'/></svg>";
    cv::Mat m = rasterize_svg(svg, 64);
    ASSERT_EQ(m.type(), CV_8UC4);
    ASSERT_EQ(m.size(), cv::Size(64, 64));
    // Aspect kept: the drawing fills rows 16..47, the rest stays transparent.
    EXPECT_EQ(m.at<cv::Vec4b>(2, 32)[3], 0);
    EXPECT_EQ(m.at<cv::Vec4b>(61, 32)[3], 0);
    EXPECT_EQ(m.at<cv::Vec4b>(32, 10), cv::Vec4b(0, 0, 255, 255));  // BGRA red
    cv::Vec4b blue = m.at<cv::Vec4b>(32, 50);
    EXPECT_NEAR(blue[3], 128, 2);
    EXPECT_EQ(blue[0], 255) << "alpha must not be premultiplied";
}

TEST(Svg, RejectsMalformedEmptyAndOversizedDocuments) {
    EXPECT_NE(test::error_of([] { rasterize_svg("<svg", 64, "bad.svg"); }).find("bad.svg"),
              std::string::npos);
    EXPECT_NE(test::error_of([] { rasterize_svg("", 64); }), "");
    SvgLimits small;
    small.max_bytes = 10;
    EXPECT_NE(test::error_of([&] {
                  rasterize_svg("<svg xmlns='http://www.w3.org/2000/svg'/>", 64, "x", small);
              }).find("exceeds"),
              std::string::npos);
    EXPECT_NE(test::error_of([] { rasterize_svg("<svg/>", 0); }), "");
}

TEST(Svg, NeverFollowsExternalReferences) {
    const std::string png = red_png();
    // The same red image inline (data: URL) is drawn: image elements do render.
    EXPECT_GT(opaque_pixels(rasterize_svg(image_svg("data:image/png;base64," + base64(png)), 32)),
              900);

    // Served over HTTP on 127.0.0.1, and lying next to us as a file: neither is loaded.
    std::atomic<int> requests{0};
    httplib::Server http;
    http.Get(R"(/.*)", [&](const httplib::Request&, httplib::Response& res) {
        requests++;
        res.set_content(png, "image/png");
    });
    int port = http.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port, 0);
    std::thread serve([&] { http.listen_after_bind(); });
    // stop() before the loop runs would leave listen_after_bind() running forever.
    while (!http.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    test::TempDir dir("svg-external");
    {
        std::ofstream f(dir / "red.png", std::ios::binary);
        f << png;
    }
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    int drawn = 0;
    for (const std::string& href : {base + "/red.png", "file://" + (dir / "red.png").string(),
                                    (dir / "red.png").string(), std::string("red.png")}) {
        drawn += opaque_pixels(rasterize_svg(image_svg(href), 32, href));
    }
    // Stylesheets and <use> of other documents are not fetched either.
    std::string css =
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 10 10'><style>@import "
        "url(" +
        base + "/style.css);</style><use href='" + base +
        "/other.svg#a'/><rect width='10' height='10' fill='url(" + base + "/p.svg#g)'/></svg>";
    rasterize_svg(css, 32);
    http.stop();
    serve.join();
    EXPECT_EQ(requests.load(), 0);
    EXPECT_EQ(drawn, 0);
}
