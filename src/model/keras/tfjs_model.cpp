#include "model/keras/tfjs_model.h"

#include <cstring>

#include "common/error.h"
#include "common/file_util.h"

namespace qiss {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

/// float16 (IEEE binary16) -> float.
float half_to_float(std::uint16_t h) {
    const std::uint32_t sign = (h & 0x8000u) << 16;
    std::uint32_t exp = (h >> 10) & 0x1f;
    std::uint32_t mant = h & 0x3ffu;
    std::uint32_t bits = 0;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (mant << 13);  // inf, NaN
    } else if (exp != 0) {
        bits = sign | ((exp + 112) << 23) | (mant << 13);
    } else if (mant != 0) {  // subnormal: normalise
        exp = 113;
        while ((mant & 0x400u) == 0) {
            mant <<= 1;
            --exp;
        }
        bits = sign | (exp << 23) | ((mant & 0x3ffu) << 13);
    } else {
        bits = sign;
    }
    float f = 0;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

/// The bytes of one manifest group: its files, concatenated.
std::string group_bytes(const fs::path& dir, const json& paths, std::uint64_t& budget) {
    QISS_CHECK(paths.is_array() && !paths.empty(), "a weights group without paths");
    std::string bytes;
    for (const json& p : paths) {
        const std::string name = p.get<std::string>();
        QISS_CHECK(!name.empty() && name.find('/') == std::string::npos &&
                       name.find('\\') == std::string::npos && name[0] != '.',
                   "weight file name '{}' is not a plain file name in the model's folder", name);
        const fs::path file = dir / name;
        QISS_CHECK(fs::is_regular_file(file), "weight file {} is missing", file.string());
        std::string part = read_file_bytes(file, budget);
        budget -= part.size();
        bytes += part;
    }
    return bytes;
}

torch::Tensor decode_weight(const json& w, const std::string& bytes, std::size_t& at) {
    const std::string name = w.at("name").get<std::string>();
    const std::vector<int64_t> shape = w.at("shape").get<std::vector<int64_t>>();
    int64_t n = 1;
    for (int64_t d : shape) {
        QISS_CHECK(d >= 0 && d <= (1 << 24), "weight {}: dimension {}", name, d);
        n *= d;
        QISS_CHECK(n <= (int64_t{1} << 30), "weight {} is too large", name);
    }
    const std::string dtype = w.value("dtype", std::string("float32"));
    QISS_CHECK(dtype == "float32" || dtype == "int32", "weight {}: dtype {} is not supported", name,
               dtype);
    enum class Stored { float32, int32, uint8, uint16, float16 };
    Stored stored = dtype == "int32" ? Stored::int32 : Stored::float32;
    double scale = 1, min = 0;
    if (w.contains("quantization")) {
        const json& q = w.at("quantization");
        const std::string quantized = q.at("dtype").get<std::string>();
        QISS_CHECK(quantized == "uint8" || quantized == "uint16" || quantized == "float16",
                   "weight {}: quantisation {} is not supported", name, quantized);
        stored = quantized == "uint8"    ? Stored::uint8
                 : quantized == "uint16" ? Stored::uint16
                                         : Stored::float16;
        if (stored != Stored::float16) {
            scale = q.at("scale").get<double>();
            min = q.at("min").get<double>();
        }
    }
    const std::size_t elem = stored == Stored::uint8                                 ? 1
                             : stored == Stored::uint16 || stored == Stored::float16 ? 2
                                                                                     : 4;
    const std::size_t len = static_cast<std::size_t>(n) * elem;
    QISS_CHECK(len <= bytes.size() - at,
               "weight {} needs {} bytes but the weight files hold only {} more", name, len,
               bytes.size() - at);
    torch::Tensor t = torch::empty({n}, torch::kFloat32);
    float* out = t.data_ptr<float>();
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + at);
    for (int64_t i = 0; i < n; ++i) {
        const unsigned char* e = p + static_cast<std::size_t>(i) * elem;
        switch (stored) {
            case Stored::uint8:
                out[i] = static_cast<float>(e[0] * scale + min);
                break;
            case Stored::uint16:
                out[i] = static_cast<float>((e[0] | (e[1] << 8)) * scale + min);
                break;
            case Stored::float16:
                out[i] = half_to_float(static_cast<std::uint16_t>(e[0] | (e[1] << 8)));
                break;
            case Stored::int32: {
                std::int32_t v = 0;
                std::memcpy(&v, e, 4);
                out[i] = static_cast<float>(v);
                break;
            }
            case Stored::float32:
                std::memcpy(&out[i], e, 4);
                break;
        }
    }
    at += len;
    return t.view(shape);
}

}  // namespace

TfjsModel read_tfjs_model(const fs::path& dir, const TfjsLimits& limits) {
    const fs::path model_json = dir / "model.json";
    QISS_CHECK(fs::is_regular_file(model_json),
               "{}: no model.json (a TF.js layers model folder holds model.json and its weight "
               "files; for nsfwjs's .min.js files run scripts/tfjs_unwrap.cjs first)",
               dir.string());
    TfjsModel m;
    try {
        const json j = json::parse(read_file_bytes(model_json, limits.max_model_json_bytes));
        const json& topology = j.at("modelTopology");
        const json& model =
            topology.contains("model_config") ? topology.at("model_config") : topology;
        const std::string cls = model.at("class_name").get<std::string>();
        QISS_CHECK(cls == "Model" || cls == "Functional",
                   "{}: a Keras {} model is not supported (only functional models)",
                   model_json.string(), cls);
        m.layers = model.at("config").at("layers");
        QISS_CHECK(m.layers.is_array(), "{}: layers is not a list", model_json.string());
        std::uint64_t budget = limits.max_weight_bytes;
        for (const json& group : j.at("weightsManifest")) {
            const std::string bytes = group_bytes(dir, group.at("paths"), budget);
            std::size_t at = 0;
            for (const json& w : group.at("weights")) {
                std::string name = w.at("name").get<std::string>();
                torch::Tensor t = decode_weight(w, bytes, at);
                QISS_CHECK(m.weights.emplace(std::move(name), std::move(t)).second,
                           "{}: weight {} is listed twice", model_json.string(),
                           w.at("name").get<std::string>());
            }
            QISS_CHECK(at == bytes.size(),
                       "{}: the weight files hold {} bytes more than the manifest describes",
                       model_json.string(), bytes.size() - at);
        }
    } catch (const json::exception& e) {
        QISS_THROW("{}: not a TF.js layers model: {}", model_json.string(), e.what());
    }
    return m;
}

}  // namespace qiss
