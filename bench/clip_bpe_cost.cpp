// The cost of CLIP's BPE on hostile query words (docs/models.md, "Limits"): 2,000-byte words
// of random letters, of one repeated letter and of random CJK characters, with the real
// vocabulary.   build/bench/clip_bpe_cost bpe_simple_vocab_16e6.txt.gz
#include <chrono>
#include <iostream>
#include <random>

#include <fmt/format.h>

#include "common/file_util.h"
#include "text/clip_bpe.h"
#include "text/utf8.h"

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: clip_bpe_cost bpe_simple_vocab_16e6.txt.gz\n";
        return 2;
    }
    const qiss::ClipBpe bpe(qiss::gunzip_if_compressed(qiss::read_file_bytes(argv[1]), argv[1]),
                            48894);
    std::mt19937 rng(1);
    std::string letters, repeated(2000, 'a'), cjk;
    for (int i = 0; i < 2000; ++i) letters += static_cast<char>('a' + rng() % 26);
    while (cjk.size() + 3 <= 2000) qiss::append_utf8(0x4E00 + rng() % 2000, cjk);
    for (const auto& [name, word] :
         {std::pair{"random letters", letters}, std::pair{"one letter repeated", repeated},
          std::pair{"random CJK", cjk}}) {
        double best = 1e9;
        std::size_t ids = 0;
        for (int run = 0; run < 5; ++run) {
            const auto t0 = std::chrono::steady_clock::now();
            ids = bpe.encode(word).size();
            best = std::min(best, std::chrono::duration<double, std::milli>(
                                      std::chrono::steady_clock::now() - t0)
                                      .count());
        }
        std::cout << fmt::format("{:20} {:5} bytes  {:5} ids  {:7.2f} ms (best of 5)\n", name,
                                 word.size(), ids, best);
    }
}
