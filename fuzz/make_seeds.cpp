// Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/): small valid inputs made
// with qiss's own writers and OpenCV/giflib, plus a few known-bad ones. Not built by default:
//   cmake --build build --target fuzz_make_seeds && build/fuzz/fuzz_make_seeds fuzz/corpus
// Files it does not write (findings of the fuzzers, kept as regression inputs) are left alone.
#include <gif_lib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "index/vector_index.h"
#include "model/model_config.h"
#include "model/model_file.h"
#include "store/image_store.h"
#include "store/record_codec.h"

namespace {

namespace fs = std::filesystem;
using Bytes = std::vector<std::uint8_t>;

fs::path root;

void put(const std::string& target, const std::string& name, const std::string& bytes) {
    fs::create_directories(root / target);
    std::ofstream(root / target / name, std::ios::binary) << bytes;
}
void put(const std::string& target, const std::string& name, const Bytes& bytes) {
    put(target, name, std::string(bytes.begin(), bytes.end()));
}

cv::Mat picture(int w, int h, int channels) {
    cv::Mat img(h, w, CV_8UC(channels));
    std::mt19937 rng(7);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < channels; ++c)
                img.ptr<std::uint8_t>(y)[x * channels + c] =
                    static_cast<std::uint8_t>(c == 0   ? x * 255 / w
                                              : c == 1 ? y * 255 / h
                                                       : rng());
    return img;
}

Bytes encode(const cv::Mat& img, const std::string& ext, const std::vector<int>& params = {}) {
    Bytes out;
    if (!cv::imencode(ext, img, out, params)) throw std::runtime_error("cannot encode " + ext);
    return out;
}

int append_gif_bytes(GifFileType* gif, const GifByteType* data, int n) {
    auto* out = static_cast<Bytes*>(gif->UserData);
    out->insert(out->end(), data, data + n);
    return n;
}

// A w x h GIF of a 4-colour palette, index 3 transparent, optionally interlaced.
Bytes gif(int w, int h, bool interlace) {
    Bytes out;
    int error = 0;
    GifFileType* g = EGifOpen(&out, append_gif_bytes, &error);
    const GifColorType colors[] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {0, 0, 0}};
    ColorMapObject* map = GifMakeMapObject(4, colors);
    EGifSetGifVersion(g, true);
    EGifPutScreenDesc(g, w, h, 8, 0, map);
    GraphicsControlBlock gcb{};
    gcb.TransparentColor = 3;
    GifByteType ext[4];
    EGifGCBToExtension(&gcb, ext);
    EGifPutExtension(g, GRAPHICS_EXT_FUNC_CODE, 4, ext);
    EGifPutImageDesc(g, 0, 0, w, h, interlace, nullptr);
    std::vector<GifPixelType> row(static_cast<std::size_t>(w));
    for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) row[x] = static_cast<GifPixelType>((x + y) % 4);
        EGifPutLine(g, row.data(), w);
    }
    EGifCloseFile(g, &error);
    GifFreeMapObject(map);
    return out;
}

void image_seeds() {
    const cv::Mat rgb = picture(12, 9, 3), rgba = picture(7, 5, 4), gray = picture(6, 4, 1);
    put("image", "baseline.jpg", encode(rgb, ".jpg", {cv::IMWRITE_JPEG_QUALITY, 50}));
    const Bytes progressive = encode(rgb, ".jpg", {cv::IMWRITE_JPEG_PROGRESSIVE, 1});
    put("image", "progressive.jpg", progressive);
    put("image", "restarts.jpg",
        encode(picture(40, 16, 3), ".jpg", {cv::IMWRITE_JPEG_RST_INTERVAL, 1}));
    put("image", "gray.jpg", encode(gray, ".jpg"));
    // 101 scans: one over the limit (DecodeLimits::max_jpeg_scans), refused before decoding.
    Bytes bomb(progressive.begin(), progressive.end() - 2);
    const Bytes scan = {0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x01, 0x01, 0x00};
    for (int i = 0; i < 101; ++i) bomb.insert(bomb.end(), scan.begin(), scan.end());
    bomb.insert(bomb.end(), {0xFF, 0xD9});
    put("image", "scan-bomb.jpg", bomb);
    put("image", "rgb.png", encode(rgb, ".png"));
    put("image", "rgba.png", encode(rgba, ".png"));
    cv::Mat gray16;
    gray.convertTo(gray16, CV_16U, 257);
    put("image", "gray16.png", encode(gray16, ".png"));
    put("image", "lossy.webp", encode(rgb, ".webp", {cv::IMWRITE_WEBP_QUALITY, 50}));
    put("image", "lossless.webp", encode(rgba, ".webp", {cv::IMWRITE_WEBP_QUALITY, 101}));
    put("image", "rgb.bmp", encode(picture(5, 3, 3), ".bmp"));
    put("image", "plain.gif", gif(5, 4, false));
    put("image", "interlaced.gif", gif(6, 9, true));
}

void manifest_seeds() {
    put("manifest", "images.jsonl",
        "{\"path\":\"a.png\",\"id\":\"cat\",\"vendor\":\"apple\",\"split\":\"train\","
        "\"captions\":{\"en\":[\"a cat\"],\"fr\":[\"un chat\"]},\"keywords\":{\"en\":[\"cat\","
        "\"pet\"]}}\n{\"path\":\"b.jpg\",\"id\":\"cat\",\"split\":\"val\"}\n"
        "{\"path\":\"sub/c.gif\",\"split\":\"test\",\"captions\":{\"ja\":[\"猫\"]}}\n");
    put("manifest", "identity.jsonl",
        "{\"identity\":\"dog\",\"captions\":{\"en\":[\"a dog\"],\"de\":[\"ein Hund\"]}}\n"
        "{\"path\":\"a.png\",\"id\":\"dog\"}\n\n{\"path\":\"b.jpg\",\"id\":\"dog\","
        "\"captions\":{}}\n");
    put("manifest", "bad-lines.jsonl",
        "not json\n[1,2]\n{\"path\":\"missing.png\"}\n{\"path\":\"a.png\",\"split\":\"dev\"}\n"
        "{\"path\":\"a.png\",\"captions\":{\"en\":[\" \"]}}\n{\"identity\":\"\"}\n");
}

void model_seeds() {
    qiss::ModelFileContents c;
    c.header = {{"config", qiss::model_preset("tiny")}, {"training", {{"epochs", 1}}}};
    c.tokenizer = "not a real SentencePiece model";
    c.weights = "PK not a real weights archive";
    put("model_file", "tiny-config.qiss", qiss::encode_model_file(c));
    c.header = {{"config", {{"preset", "x"}}}};
    put("model_file", "incomplete-config.qiss", qiss::encode_model_file(c));
}

void index_seeds() {
    const fs::path tmp = fs::temp_directory_path() / "qiss-seed.qiss-index";
    std::vector<float> x;
    std::mt19937 rng(3);
    std::normal_distribution<float> normal;
    for (int i = 0; i < 64 * 4; ++i) x.push_back(normal(rng));
    std::vector<std::int64_t> ids(64);
    for (int i = 0; i < 64; ++i) ids[i] = 10 + i;
    auto save = [&](const std::string& factory, std::size_t n, bool remove, const char* name) {
        qiss::VectorIndex index = qiss::VectorIndex::create(factory, 4);
        if (!index.is_trained()) index.train(x.data(), 64);
        index.add(x.data(), ids.data(), n);
        if (remove) index.remove(ids.data() + 1, 1);
        index.set_applied_seq(n);
        index.set_store_id({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16});
        index.save(tmp);
        std::ifstream in(tmp, std::ios::binary);
        put("index_file", name, std::string(std::istreambuf_iterator<char>(in), {}));
    };
    save("Flat", 3, false, "flat.qiss-index");
    save("Flat", 4, true, "flat-tombstone.qiss-index");
    save("HNSW4", 6, true, "hnsw.qiss-index");
    save("IVF2,Flat", 6, true, "ivf.qiss-index");
    save("PQ2x4", 3, false, "pq.qiss-index");
    fs::remove(tmp);
}

void store_seeds() {
    qiss::ImageRecord r;
    r.source = "/photos/cat.jpg";
    r.content_hash = "blake2b:0123456789abcdef";
    r.width = 640;
    r.height = 480;
    r.format = "jpeg";
    r.caption = "un chat";
    r.metadata = {{"album", "2024"}, {"tags", {"cat", "pet"}}};
    r.added_unix_ms = 1700000000000;
    put("store_record", "record.json", qiss::encode_record(r));
    put("store_record", "record-minimal.json", "{}");
    put("store_record", "log-add.bin", qiss::encode_log_entry({qiss::StoreOp::Add, 42}));
    put("store_record", "log-remove.bin", qiss::encode_log_entry({qiss::StoreOp::Remove, 7}));
    // The two meta pages of a real store of one image (its data.mdb cut after them).
    const fs::path dir = fs::temp_directory_path() / "qiss-seed-store";
    fs::remove_all(dir);
    {
        qiss::ImageStore store = qiss::ImageStore::open(dir);
        std::vector<qiss::NewImage> batch(1);
        batch[0].record = r;
        batch[0].thumbnail = "thumbnail";
        batch[0].vector = {0.5f, 0.5f, 0.5f, 0.5f};
        store.add(std::move(batch));
    }
    std::ifstream in(dir / "data.mdb", std::ios::binary);
    std::string meta(8192, '\0');
    in.read(meta.data(), static_cast<std::streamsize>(meta.size()));
    put("store_record", "data-mdb-meta-pages.bin", meta);
    fs::remove_all(dir);
}

void query_seeds() {
    put("query_json", "text.json", R"({"text":"a sleeping cat","k":10,"offset":0})");
    put("query_json", "text-fr.json", R"({"text":"un chat qui dort"})");
    put("query_json", "id.json", R"({"id":12,"k":5})");
    put("query_json", "image-url.json", R"({"image_url":"https://example.com/cat.jpg"})");
    put("query_json", "two-kinds.json", R"({"text":"cat","id":1})");
    put("query_json", "huge-k.json", R"({"text":"cat","k":1e400})");
    put("query_json", "big-id.json", R"({"id":18446744073709551615})");
    put("query_json", "terms.json",
        R"({"terms":[{"text":"beach"},{"id":3,"weight":0.5},{"text":"people","weight":-1}],"k":20})");
    put("query_json", "terms-bad.json",
        R"({"terms":[{"text":"cat","weight":0},{"image":"part","weight":1e39},{"id":-1}]})");
}

void http_seeds() {
    put("http_request", "get.http",
        "GET /api/search?q=a%20cat&k=10 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    put("http_request", "post-json.http",
        "POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 14\r\n\r\n{\"text\":\"cat\"}");
    put("http_request", "chunked.http",
        "POST /api/search HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        "Content-Type: application/json\r\n\r\n5\r\n{\"tex\r\n9;ext=1\r\nt\":\"cat\"}\r\n0\r\n"
        "Trailer: x\r\n\r\n");
    put("http_request", "pipelined.http",
        "GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n\r\nGET /api/info HTTP/1.1\r\nHost: x\r\n\r\n"
        "DELETE /api/images/3 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t\r\n"
        "Connection: close\r\n\r\n");
    put("http_request", "http10.http", "GET / HTTP/1.0\r\n\r\n");
    put("http_request", "expect.http",
        "POST /api/images HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type: "
        "multipart/form-data; boundary=b\r\nContent-Length: 57\r\n\r\n--b\r\nContent-Disposition: "
        "form-data; name=\"k\"\r\n\r\n3\r\n--b--");
    put("http_request", "two-lengths.http",
        "POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab");
    put("http_request", "te-and-length.http",
        "POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\n\r\nabc");
    put("http_request", "obs-fold.http", "GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n");
    put("http_request", "over-limit.http", "POST / HTTP/1.1\r\nContent-Length: 999999999\r\n\r\n");
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s fuzz/corpus\n", argv[0]);
        return 2;
    }
    root = argv[1];
    image_seeds();
    manifest_seeds();
    model_seeds();
    index_seeds();
    store_seeds();
    query_seeds();
    http_seeds();
    return 0;
}
