#include "index/faiss_layout.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace qiss::faiss_ops {
namespace {

constexpr std::string_view kUnknownType = "an index type qiss does not read";

constexpr std::int32_t kMaxDim = 1 << 16;
constexpr std::int64_t kMaxVectors = std::int64_t{1} << 40;  // FAISS's own cap on a vector
constexpr std::uint64_t kMaxLists = 1 << 20;
constexpr std::int32_t kMaxTransforms = 16;
constexpr int kMaxDepth = 8;
constexpr std::int32_t kMaxEf = 1 << 17;  // above `--ef-search`'s limit (100,000)

/// Stops the walk; caught by find_layout_problem().
struct Bad {
    std::string why;
};

[[noreturn]] void bad(std::string why) { throw Bad{std::move(why)}; }

constexpr std::uint32_t fourcc(std::string_view s) {
    return static_cast<std::uint32_t>(static_cast<unsigned char>(s[0])) |
           static_cast<std::uint32_t>(static_cast<unsigned char>(s[1])) << 8 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(s[2])) << 16 |
           static_cast<std::uint32_t>(static_cast<unsigned char>(s[3])) << 24;
}

std::string printable(std::uint32_t h) {
    std::string s;
    for (int i = 0; i < 4; ++i) {
        const auto c = static_cast<char>((h >> (8 * i)) & 0xff);
        s += c >= 0x20 && c < 0x7f ? c : '?';
    }
    return s;
}

/// What the walk learnt of an index, for the checks of the index around it.
struct Node {
    std::uint32_t type = 0;
    std::int32_t d = 0;
    std::int64_t ntotal = 0;
    bool trained = false;
};

bool is_flat(std::uint32_t type) { return type == fourcc("IxFI") || type == fourcc("IxF2"); }

/// Follows faiss/impl/index_read.cpp (FAISS 1.7.3) for the types qiss makes.
class Walker {
  public:
    Walker(faiss::IOReader& in, std::uint64_t length) : in_(in), left_(length) {}

    std::uint64_t left() const { return left_; }

    Node index(int depth) {
        if (depth > kMaxDepth) bad("indexes nested too deep");
        const auto type = get<std::uint32_t>();
        if (is_flat(type)) return flat(type);
        if (type == fourcc("IxSQ")) return scalar_quantized(type);
        if (type == fourcc("IxPq")) return product_quantized(type);
        if (type == fourcc("IHNf") || type == fourcc("IHNs"))
            return hnsw(type, depth);
        if (type == fourcc("IwFl") || type == fourcc("IwSq") || type == fourcc("IwPQ") ||
            type == fourcc("IwQR"))
            return ivf(type, depth);
        if (type == fourcc("IxPT")) return pre_transform(type, depth);
        if (type == fourcc("IxRF")) return refine(type, depth);
        if (type == fourcc("IxMp") || type == fourcc("IxM2")) return id_map(type, depth);
        bad(fmt::format("{} ({})", kUnknownType, printable(type)));
    }

  private:
    void bytes(void* out, std::uint64_t n) {
        if (n > left_) bad("truncated");
        if (n > 0 && in_(out, 1, n) != n) bad("truncated");
        left_ -= n;
    }
    template <typename T>
    T get() {
        T value;
        bytes(&value, sizeof value);
        return value;
    }
    /// A bool that FAISS reads as a raw byte.
    bool flag(std::string_view what) {
        const auto byte = get<std::uint8_t>();
        if (byte > 1) bad(fmt::format("{} is neither 0 nor 1", what));
        return byte == 1;
    }
    void skip(std::uint64_t n) {
        if (n > left_) bad("truncated");
        std::array<char, 4096> buf;
        while (n > 0) {
            const std::uint64_t k = std::min<std::uint64_t>(n, buf.size());
            bytes(buf.data(), k);
            n -= k;
        }
    }
    /// The length of a FAISS vector of `item`-byte elements, checked against the bytes left.
    std::uint64_t vector_length(std::uint64_t item, std::string_view what) {
        const auto n = get<std::uint64_t>();
        if (n > left_ / item) bad(fmt::format("{} longer than the file", what));
        return n;
    }
    std::uint64_t skip_vector(std::uint64_t item, std::string_view what) {
        const std::uint64_t n = vector_length(item, what);
        skip(n * item);
        return n;
    }
    template <typename T>
    std::vector<T> read_vector(std::string_view what) {
        std::vector<T> v(vector_length(sizeof(T), what));
        bytes(v.data(), v.size() * sizeof(T));
        return v;
    }

    Node header(std::uint32_t type) {
        Node n;
        n.type = type;
        n.d = get<std::int32_t>();
        n.ntotal = get<std::int64_t>();
        get<std::int64_t>();
        get<std::int64_t>();
        n.trained = flag("is_trained");
        const auto metric = get<std::int32_t>();
        if (metric != 0 && metric != 1) bad("an unknown metric");  // inner product, L2
        if (n.d <= 0 || n.d > kMaxDim) bad(fmt::format("dimension {}", n.d));
        if (n.ntotal < 0 || n.ntotal > kMaxVectors) bad(fmt::format("{} vectors", n.ntotal));
        return n;
    }
    static void same_shape(const Node& outer, const Node& inner, std::string_view what) {
        if (inner.d != outer.d || inner.ntotal != outer.ntotal)
            bad(fmt::format("{} of another size", what));
    }

    Node flat(std::uint32_t type) {
        const Node n = header(type);
        const std::uint64_t floats = vector_length(sizeof(float), "flat codes");
        if (floats != static_cast<std::uint64_t>(n.ntotal) * static_cast<std::uint64_t>(n.d))
            bad("flat codes of another size");
        skip(floats * sizeof(float));
        return n;
    }

    /// FAISS's ScalarQuantizer; returns its code size.
    std::uint64_t scalar_quantizer(const Node& n) {
        const auto qtype = get<std::int32_t>();
        if (qtype < 0 || qtype > 6) bad("an unknown scalar quantizer type");
        const auto range = get<std::int32_t>();
        if (range < 0 || range > 3) bad("an unknown scalar quantizer range statistic");
        get<float>();
        const auto d = get<std::uint64_t>();
        if (d != static_cast<std::uint64_t>(n.d)) bad("a scalar quantizer of another dimension");
        const auto code_size = get<std::uint64_t>();
        // QT_8bit, QT_4bit, QT_8bit_uniform, QT_4bit_uniform, QT_fp16, QT_8bit_direct, QT_6bit
        constexpr std::array<std::uint64_t, 7> bits = {8, 4, 8, 4, 16, 8, 6};
        if (code_size != (d * bits[static_cast<std::size_t>(qtype)] + 7) / 8)
            bad("a scalar quantizer of another code size");
        const std::uint64_t trained = skip_vector(sizeof(float), "scalar quantizer ranges");
        const std::uint64_t expected = qtype == 2 || qtype == 3 ? 2 : qtype >= 4 && qtype <= 5 ? 0
                                                                                              : 2 * d;
        if (trained != expected && !(trained == 0 && !n.trained))
            bad("scalar quantizer ranges of another size");
        return code_size;
    }

    /// FAISS's ProductQuantizer for vectors of dimension `d`; returns its code size.
    std::uint64_t product_quantizer(std::int32_t d) {
        const auto pq_d = get<std::uint64_t>();
        const auto m = get<std::uint64_t>();
        const auto nbits = get<std::uint64_t>();
        if (pq_d != static_cast<std::uint64_t>(d)) bad("a product quantizer of another dimension");
        // FAISS computes d % M as it reads (fuzz finding 10).
        if (m == 0 || pq_d % m != 0)
            bad(fmt::format("a product quantizer of {} sub-vectors for dimension {}", m, pq_d));
        if (nbits == 0 || nbits > 16) bad(fmt::format("a product quantizer of {} bits", nbits));
        const std::uint64_t centroids = skip_vector(sizeof(float), "product quantizer centroids");
        if (centroids != pq_d << nbits) bad("product quantizer centroids of another number");
        return (nbits * m + 7) / 8;
    }

    Node scalar_quantized(std::uint32_t type) {
        const Node n = header(type);
        const std::uint64_t code_size = scalar_quantizer(n);
        if (skip_vector(1, "codes") != static_cast<std::uint64_t>(n.ntotal) * code_size)
            bad("scalar quantizer codes of another size");
        return n;
    }

    Node product_quantized(std::uint32_t type) {
        const Node n = header(type);
        const std::uint64_t code_size = product_quantizer(n.d);
        if (skip_vector(1, "codes") != static_cast<std::uint64_t>(n.ntotal) * code_size)
            bad("product quantizer codes of another size");
        // ST_PQ: qiss never asks for FAISS's Hamming or polysemous searches, which assume code
        // sizes FAISS only asserts (fuzz finding 11: an abort in generalized_hammings_knn_hc).
        if (get<std::int32_t>() != 0) bad("a product quantizer search type other than PQ");
        flag("encode_signs");
        get<std::int32_t>();  // polysemous_ht
        return n;
    }

    Node hnsw(std::uint32_t type, int depth) {
        const Node n = header(type);
        skip_vector(sizeof(double), "HNSW level probabilities");
        skip_vector(sizeof(std::int32_t), "HNSW neighbour counts");
        const auto expected = static_cast<std::uint64_t>(n.ntotal);
        if (skip_vector(sizeof(std::int32_t), "HNSW levels") != expected)
            bad("HNSW levels of another number");
        if (skip_vector(sizeof(std::uint64_t), "HNSW offsets") != expected + 1)
            bad("HNSW offsets of another number");
        skip_vector(sizeof(std::int32_t), "HNSW neighbours");
        skip(2 * sizeof(std::int32_t));  // entry point, max level: faiss_check.h checks them
        // efConstruction, efSearch, upper_beam size the search's heaps: FAISS allocates them
        // inside an OpenMP region, where a failed allocation ends the process (finding 12).
        for (const char* what : {"efConstruction", "efSearch", "upper_beam"}) {
            const auto v = get<std::int32_t>();
            if (v < 1 || v > kMaxEf) bad(fmt::format("HNSW {} {}", what, v));
        }
        const Node storage = index(depth + 1);
        const bool fits = type == fourcc("IHNf") ? is_flat(storage.type)
                                                 : storage.type == fourcc("IxSQ");
        if (!fits) bad("an HNSW index over storage of another kind");
        same_shape(n, storage, "HNSW storage");
        return n;
    }

    /// The inverted lists of an IVF index of `n.ntotal` vectors in `nlist` lists.
    void inverted_lists(const Node& n, std::uint64_t nlist, std::uint64_t code_size) {
        if (get<std::uint32_t>() != fourcc("ilar")) bad("inverted lists of an unknown kind");
        if (get<std::uint64_t>() != nlist) bad("IVF lists of another number");
        if (get<std::uint64_t>() != code_size) bad("IVF codes of another size");
        std::vector<std::uint64_t> sizes(nlist, 0);
        const auto kind = get<std::uint32_t>();
        if (kind == fourcc("full")) {
            if (vector_length(sizeof(std::uint64_t), "IVF list sizes") != nlist)
                bad("IVF list sizes of another number");
            bytes(sizes.data(), nlist * sizeof(std::uint64_t));
        } else if (kind == fourcc("sprs")) {
            const auto pairs = read_vector<std::uint64_t>("IVF list sizes");
            if (pairs.size() % 2 != 0) bad("IVF list sizes of an odd number");
            for (std::size_t j = 0; j < pairs.size(); j += 2) {
                if (pairs[j] >= nlist) bad(fmt::format("IVF list {} out of range", pairs[j]));
                sizes[pairs[j]] = pairs[j + 1];
            }
        } else {
            bad("IVF list sizes of an unknown kind");
        }
        const std::uint64_t entry = code_size + sizeof(std::int64_t);
        std::uint64_t total = 0;
        std::uint64_t needed = 0;
        for (const std::uint64_t size : sizes) {
            if (size > (left_ - needed) / entry) bad("IVF lists longer than the file");
            needed += size * entry;
            total += size;
        }
        if (total != static_cast<std::uint64_t>(n.ntotal)) bad("IVF lists of another size");
        skip(needed);
    }

    Node ivf(std::uint32_t type, int depth) {
        const Node n = header(type);
        const auto nlist = get<std::uint64_t>();
        if (nlist == 0 || nlist > kMaxLists) bad(fmt::format("{} IVF lists", nlist));
        get<std::uint64_t>();  // nprobe
        const Node quantizer = index(depth + 1);
        if (!is_flat(quantizer.type) && quantizer.type != fourcc("IHNf"))
            bad("an IVF quantizer of another kind");
        if (quantizer.d != n.d) bad("an IVF quantizer of another dimension");
        // FAISS reads the centroids of every list back after loading an IVF-PQ.
        if (n.trained && static_cast<std::uint64_t>(quantizer.ntotal) != nlist)
            bad("an IVF quantizer of another size");
        const auto direct_map = get<std::int8_t>();  // NoMap, Array, Hashtable
        if (direct_map < 0 || direct_map > 2) bad("an unknown IVF direct map");
        const std::uint64_t array = skip_vector(sizeof(std::int64_t), "IVF direct map");
        if (array != (direct_map == 1 ? static_cast<std::uint64_t>(n.ntotal) : 0))
            bad("an IVF direct map of another size");
        if (direct_map == 2) skip_vector(2 * sizeof(std::int64_t), "IVF direct map");

        if (type == fourcc("IwFl")) {
            inverted_lists(n, nlist, static_cast<std::uint64_t>(n.d) * sizeof(float));
        } else if (type == fourcc("IwSq")) {
            const std::uint64_t code_size = scalar_quantizer(n);
            if (get<std::uint64_t>() != code_size) bad("IVF codes of another size");
            flag("by_residual");
            inverted_lists(n, nlist, code_size);
        } else {  // IwPQ, IwQR
            flag("by_residual");
            const auto code_size = get<std::uint64_t>();
            if (product_quantizer(n.d) != code_size) bad("IVF codes of another size");
            inverted_lists(n, nlist, code_size);
            if (type == fourcc("IwQR") && n.trained) {
                const std::uint64_t refine_size = product_quantizer(n.d);
                if (skip_vector(1, "refine codes") !=
                    static_cast<std::uint64_t>(n.ntotal) * refine_size)
                    bad("refine codes of another size");
                get<float>();  // k_factor
            }
        }
        return n;
    }

    /// A VectorTransform whose input has `d_in` dimensions; returns its output's.
    std::int32_t transform(std::int32_t d_in) {
        const auto type = get<std::uint32_t>();
        const bool pca =
            type == fourcc("PCAm") || type == fourcc("PcAm") || type == fourcc("Pcam");
        std::uint64_t matrix = 0;
        std::uint64_t bias = 0;
        bool has_bias = false;
        std::vector<std::int32_t> map;
        std::uint64_t mean = 0;
        const bool linear = pca || type == fourcc("rrot") || type == fourcc("LTra");
        if (linear) {
            if (pca) {
                get<float>();  // eigen_power
                if (type == fourcc("Pcam")) get<float>();  // epsilon
                flag("random_rotation");
                if (type != fourcc("PCAm")) get<std::int32_t>();  // balanced_bins
                skip_vector(sizeof(float), "PCA mean");
                skip_vector(sizeof(float), "PCA eigenvalues");
                skip_vector(sizeof(float), "PCA matrix");
            }
            has_bias = flag("have_bias");
            matrix = skip_vector(sizeof(float), "transform matrix");
            bias = skip_vector(sizeof(float), "transform bias");
        } else if (type == fourcc("RmDT")) {
            map = read_vector<std::int32_t>("dimension map");
        } else if (type == fourcc("VNrm")) {
            get<float>();
        } else if (type == fourcc("VCnt")) {
            mean = skip_vector(sizeof(float), "centring mean");
        } else {
            bad(fmt::format("{} ({})", kUnknownType, printable(type)));
        }
        const auto in = get<std::int32_t>();
        const auto out = get<std::int32_t>();
        const bool trained = flag("is_trained");
        if (in != d_in || out <= 0 || out > kMaxDim) bad("a transform of other dimensions");
        const auto in_u = static_cast<std::uint64_t>(in);
        const auto out_u = static_cast<std::uint64_t>(out);
        const auto fits = [&](std::uint64_t size, std::uint64_t expected) {
            return size == expected || (size == 0 && !trained);
        };
        if (linear && !fits(matrix, in_u * out_u)) bad("a transform matrix of another size");
        if (has_bias && !fits(bias, out_u)) bad("a transform bias of another size");
        if (type == fourcc("RmDT")) {
            if (map.size() != out_u) bad("a dimension map of another size");
            for (const std::int32_t j : map)
                if (j < -1 || j >= in) bad("a dimension map out of range");
        }
        if (type == fourcc("VCnt") && !fits(mean, in_u)) bad("a centring mean of another size");
        if ((type == fourcc("VNrm") || type == fourcc("VCnt")) && out != in)
            bad("a transform of other dimensions");
        return out;
    }

    Node pre_transform(std::uint32_t type, int depth) {
        const Node n = header(type);
        const auto count = get<std::int32_t>();
        if (count < 0 || count > kMaxTransforms) bad(fmt::format("{} transforms", count));
        std::int32_t d = n.d;
        for (std::int32_t i = 0; i < count; ++i) d = transform(d);
        const Node inner = index(depth + 1);
        if (inner.d != d || inner.ntotal != n.ntotal) bad("a transformed index of another size");
        return n;
    }

    Node refine(std::uint32_t type, int depth) {
        const Node n = header(type);
        same_shape(n, index(depth + 1), "a refined index");
        same_shape(n, index(depth + 1), "a refine index");
        get<float>();  // k_factor
        return n;
    }

    Node id_map(std::uint32_t type, int depth) {
        const Node n = header(type);
        same_shape(n, index(depth + 1), "an id-mapped index");
        if (skip_vector(sizeof(std::int64_t), "ids") != static_cast<std::uint64_t>(n.ntotal))
            bad("an id map of another size");
        return n;
    }

    faiss::IOReader& in_;
    std::uint64_t left_;
};

}  // namespace

std::string find_layout_problem(faiss::IOReader& in, std::uint64_t length) {
    Walker walker(in, length);
    try {
        walker.index(0);
    } catch (const Bad& b) {
        return b.why;
    }
    if (walker.left() != 0) return fmt::format("{} bytes after the FAISS index", walker.left());
    return "";
}

bool is_unknown_type(const std::string& problem) { return problem.starts_with(kUnknownType); }

}  // namespace qiss::faiss_ops
