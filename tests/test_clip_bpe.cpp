// CLIP's BPE tokenizer (text/clip_bpe.h): ids derived by hand from a small merges file, and,
// when QISS_CLIP_VOCAB names OpenAI CLIP's bpe_simple_vocab_16e6.txt.gz, the ids CLIP's own
// SimpleTokenizer gives for published and multilingual examples (written down below; the
// vocabulary is not shipped with qiss, so that part runs only where it is present).
#include <cstdlib>

#include <gtest/gtest.h>

#include "common/file_util.h"
#include "test_support.h"
#include "text/clip_bpe.h"

namespace {

using qiss::ClipBpe;
using Ids = std::vector<int>;

// Merge ranks 0..7 give ids 512..519; start and end tokens are 520 and 521.
constexpr const char* kMerges =
    "#version: 0.2\n"
    "h e\n"
    "l l\n"
    "he ll\n"
    "hell o</w>\n"
    "w o\n"
    "wo r\n"
    "wor l\n"
    "worl d</w>\n";

TEST(ClipBpe, MergesByRankAndMapsBytesAsClipDoes) {
    const ClipBpe bpe(kMerges);
    EXPECT_EQ(bpe.vocab_size(), 522);
    EXPECT_EQ(bpe.start_id(), 520);
    EXPECT_EQ(bpe.end_id(), 521);
    // "hello" -> hello</w> (merge 3); "," is the 12th printable byte, with </w> 256 + 11;
    // "!" the first (256 + 0).
    EXPECT_EQ(bpe.encode("Hello, WORLD!"), (Ids{515, 267, 519, 256}));
    // Without its merges a word stays in bytes: h e l p</w> -> he (512), l (75), p</w> (256+79).
    EXPECT_EQ(bpe.encode("help"), (Ids{512, 75, 256 + 79}));
    // DEL (0x7f) is not printable: the 34th of the others, after the 188 printable bytes.
    EXPECT_EQ(bpe.encode("\x7f"), (Ids{256 + 188 + 33}));
    // Digits one at a time; contractions split; whitespace and HTML entities cleaned.
    EXPECT_EQ(bpe.encode("42"), (Ids{256 + 19, 256 + 17}));
    EXPECT_EQ(bpe.encode("hello's"), (Ids{515, 6, 256 + 82}));
    EXPECT_EQ(bpe.encode("  hello \t\n world  "), bpe.encode("hello world"));
    EXPECT_EQ(bpe.encode("&amp;amp;"), bpe.encode("&"));
    EXPECT_EQ(bpe.encode("<|startoftext|>hello<|endoftext|>"), (Ids{520, 515, 521}));
    EXPECT_TRUE(bpe.encode("").empty());
    EXPECT_EQ(ClipBpe::clean("Ä&#x42;  &lt;3&nbsp;ΣΑΣ"), "äb <3 σας");
    // A word over 256 bytes is merged in pieces of 256 bytes, cut between characters (bounded
    // cost): as if the pieces were words of their own. 300 × "hello" = 1,500 bytes; 400 × "é".
    std::string hellos, accents;
    for (int i = 0; i < 300; ++i) hellos += "hello";
    for (int i = 0; i < 400; ++i) accents += "é";  // 2 bytes each: pieces of 128 characters
    std::string split_hellos, split_accents;
    for (std::size_t i = 0; i < hellos.size(); i += 256)
        split_hellos += hellos.substr(i, 256) + " ";
    for (std::size_t i = 0; i < accents.size(); i += 256)
        split_accents += accents.substr(i, 256) + " ";
    EXPECT_EQ(bpe.encode(hellos), bpe.encode(split_hellos));
    EXPECT_EQ(bpe.encode(hellos).back(), 515);
    EXPECT_EQ(bpe.encode(accents), bpe.encode(split_accents));
}

TEST(ClipBpe, KeepsOnlyTheMergesItUsesAndRejectsBadLines) {
    const ClipBpe two(kMerges, 2);
    EXPECT_EQ(two.vocab_size(), 512 + 2 + 2);
    EXPECT_EQ(two.encode("hello"), (Ids{512, 513, 256 + 78}));  // he, ll, o</w>
    EXPECT_EQ(ClipBpe(two.serialized()).encode("hello"), two.encode("hello"));
    EXPECT_NE(qiss::test::error_of([] { ClipBpe("#version\nh e x\n"); }).find("line 2"),
              std::string::npos);
    EXPECT_NE(qiss::test::error_of([] { ClipBpe("#version only"); }).find("no merge"),
              std::string::npos);
    EXPECT_NE(qiss::test::error_of([] { ClipBpe(kMerges).encode("\xff"); }).find("UTF-8"),
              std::string::npos);
}

TEST(ClipBpe, GivesClipsOwnIdsWithTheRealVocabulary) {
    const char* vocab = std::getenv("QISS_CLIP_VOCAB");
    if (!vocab) GTEST_SKIP() << "QISS_CLIP_VOCAB (CLIP's bpe_simple_vocab_16e6.txt.gz) not set";
    const ClipBpe bpe(qiss::gunzip_if_compressed(qiss::read_file_bytes(vocab), vocab), 48894);
    EXPECT_EQ(bpe.vocab_size(), 49408);
    EXPECT_EQ(bpe.start_id(), 49406);
    // From OpenAI CLIP's simple_tokenizer.py (ftfy left out, as here).
    EXPECT_EQ(bpe.encode("a photo of a cat"), (Ids{320, 1125, 539, 320, 2368}));
    EXPECT_EQ(bpe.encode("a diagram"), (Ids{320, 22697}));
    EXPECT_EQ(bpe.encode("A Dog!"), (Ids{320, 1929, 256}));
    EXPECT_EQ(bpe.encode("un chat qui dort"), (Ids{2271, 2402, 18046, 67, 1019}));
    EXPECT_EQ(bpe.encode("Katze"), (Ids{2844, 1298}));
    EXPECT_EQ(bpe.encode("猫"), (Ids{163, 234, 360}));
    EXPECT_EQ(bpe.encode("кошка"), (Ids{27152, 13506, 141, 230, 27152, 27080}));
    EXPECT_EQ(bpe.encode("I'm here, you're there 2024"),
              (Ids{328, 880, 763, 267, 592, 982, 997, 273, 271, 273, 275}));
    EXPECT_EQ(bpe.encode("rotes   Herz &amp; &lt;3"), (Ids{532, 3609, 1223, 345, 261, 283, 274}));
    EXPECT_EQ(bpe.encode("thumbs-up 👍"), (Ids{17599, 268, 705, 4201}));
    EXPECT_EQ(bpe.encode("naïve café"), (Ids{1097, 35689, 563, 15304}));
    EXPECT_EQ(bpe.encode("ΣΑΣ"), (Ids{139, 225, 138, 109, 139, 480}));
    EXPECT_EQ(bpe.encode("İstanbul"), (Ids{328, 16384, 11231}));
    EXPECT_EQ(bpe.encode("a\u00a0b"), (Ids{320, 321}));
    EXPECT_EQ(bpe.encode("&#128077; &#x1F44D;"), (Ids{4201, 4201}));
}

}  // namespace
