// The public C++ API (include/qiss/qiss.h) over the engine: Collection::open and run_query.
// Built only into libqiss.so (target qiss_lib), with every symbol hidden but those of the header.
#include "qiss/qiss.h"

#include <new>
#include <span>
#include <utility>

#include "common/error.h"
#include "engine/collection.h"
#include "engine/query.h"
#include "image/image_io.h"

namespace qiss {
namespace {

/// Runs `f`, reporting any failure but an allocation's as qiss::Exception with its message.
template <class F>
auto translated(F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const Exception&) {
        throw;
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& e) {
        throw Exception(e.what());
    }
}

std::vector<Result> to_results(const QueryResult& result) {
    std::vector<Result> out;
    out.reserve(result.hits.size());
    for (std::size_t i = 0; i < result.hits.size(); ++i) {
        const Hit& h = result.hits[i];
        Result r{h.id,           h.score,         h.record.source,
                 h.record.width, h.record.height, h.record.caption,
                 std::nullopt};
        if (i < result.relevance.size()) r.relevance = result.relevance[i];
        out.push_back(std::move(r));
    }
    return out;
}

}  // namespace

const char* version() {
    return QISS_VERSION;
}

Exception::Exception(const std::string& message) : std::runtime_error(message) {}
Exception::~Exception() = default;

struct Searcher::Impl {
    std::unique_ptr<Collection> collection;
    QueryLimits limits;

    std::vector<Result> run(Query&& query, int k) const {
        query.k = k;
        return to_results(run_query(*collection, query, limits));
    }
};

Searcher::Searcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Searcher::~Searcher() = default;

std::unique_ptr<Searcher> Searcher::open(const std::filesystem::path& datadir,
                                         const Options& options) {
    return translated([&] {
        QISS_CHECK(options.read_only,
                   "the library opens collections read-only (Options::read_only = true)");
        CollectionOptions co;
        co.read_only = true;
        co.model = options.model;
        co.store_map_size = options.store_map_size;
        auto impl = std::make_unique<Impl>();
        impl->limits.max_k = options.max_k;
        impl->limits.max_text_bytes = options.max_text_bytes;
        impl->collection = Collection::open(datadir, co);
        return std::unique_ptr<Searcher>(new Searcher(std::move(impl)));
    });
}

std::vector<Result> Searcher::search_text(const std::string& text, int k) const {
    return translated([&] {
        Query q;
        q.kind = Query::Kind::Text;
        q.text = text;
        return impl_->run(std::move(q), k);
    });
}

std::vector<Result> Searcher::search_image_file(const std::filesystem::path& file, int k) const {
    return translated([&] {
        Query q;
        q.kind = Query::Kind::Image;
        q.image = read_image(file).rgb;
        q.image_name = file.string();
        return impl_->run(std::move(q), k);
    });
}

std::vector<Result> Searcher::search_image_data(const void* data, std::size_t size, int k) const {
    return translated([&] {
        Query q;
        q.kind = Query::Kind::Image;
        q.image = decode_image({static_cast<const std::uint8_t*>(data), size}).rgb;
        q.image_name = "image";
        return impl_->run(std::move(q), k);
    });
}

std::vector<Result> Searcher::similar(std::uint64_t id, int k) const {
    return translated([&] {
        Query q;
        q.kind = Query::Kind::Id;
        q.id = id;
        return impl_->run(std::move(q), k);
    });
}

std::size_t Searcher::size() const {
    return translated([&] { return impl_->collection->store().count(); });
}

void Searcher::refresh() {
    translated([&] { impl_->collection->refresh(); });
}

}  // namespace qiss
