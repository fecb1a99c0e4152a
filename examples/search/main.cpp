// Opens a collection made by `qiss index` and prints the images closest to a text query, then
// the images similar to the best one, one per line: ID, score, relevance ("-" for a model
// without calibration), WxH, source.   qiss_example DATADIR TEXT [K]
#include <cstdlib>
#include <iostream>
#include <string>

#include <qiss/qiss.h>

namespace {

void print(const char* heading, const std::vector<qiss::Result>& results) {
    std::cout << heading << "\n";
    for (const qiss::Result& r : results)
        std::cout << r.id << "\t" << r.score << "\t"
                  << (r.relevance ? std::to_string(*r.relevance) : std::string("-")) << "\t"
                  << r.width << "x" << r.height << "\t" << r.source << "\n";
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3 || argc > 4) {
        std::cerr << "usage: " << argv[0] << " DATADIR TEXT [K]\n";
        return 2;
    }
    const int k = argc == 4 ? std::atoi(argv[3]) : 5;
    try {
        auto searcher = qiss::Searcher::open(argv[1]);
        std::cout << "qiss " << qiss::version() << ", " << searcher->size() << " images\n";
        const auto results = searcher->search_text(argv[2], k);
        print("text:", results);
        if (!results.empty()) print("similar:", searcher->similar(results.front().id, k));
    } catch (const qiss::Exception& e) {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
