// Hybrid search (issue 13 item 3): the keyword index (Xapian) on its own — stemming by
// language, words as written, file names, CJK, persistence and the read-only overlay —,
// reciprocal rank fusion, and hybrid, keyword and semantic searches of a real collection built
// with the tiny model from a manifest with captions.
#include <algorithm>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <xapian.h>

#include "engine/collection.h"
#include "engine/fusion.h"
#include "engine/query.h"
#include "keyword/keyword_index.h"
#include "server_fixture.h"

using namespace qiss;
using namespace qiss::test;

namespace {

ImageRecord record(std::uint64_t id, std::string caption, std::string source = "x.png") {
    ImageRecord r;
    r.id = id;
    r.caption = std::move(caption);
    r.source = std::move(source);
    return r;
}

std::vector<std::uint64_t> ids_of(const std::vector<KeywordHit>& hits) {
    std::vector<std::uint64_t> ids;
    for (const KeywordHit& h : hits) ids.push_back(h.id);
    return ids;
}

/// The keyword index of a few captioned records.
std::unique_ptr<KeywordIndex> small_index() {
    auto k = KeywordIndex::in_memory();
    k->add(record(1, "a cat running on the beach"));
    k->add(record(2, "two dogs asleep"));
    k->add(record(3, "", "/photos/holiday_paris-2019.jpg"));
    k->add(record(4, "un chat qui dort sur le canapé"));
    k->add(record(5, "猫が寝ている"));
    auto tagged = record(6, "");
    tagged.metadata = {{"tags", {"sunset", "mountains"}}, {"vendor", "google"}};
    k->add(tagged);
    return k;
}

/// 12 emoji: one captioned "zebra crossing" (the 8th: *zebra_index = 7), the others
/// "red heart N".
fs::path captioned_collection(const TempDir& dir, std::uint64_t* zebra_index) {
    *zebra_index = 7;
    return test::captioned_collection(dir, [](std::size_t i) {
        return i == 7 ? std::string("zebra crossing") : fmt::format("red heart {}", i);
    });
}

}  // namespace

TEST(KeywordIndex, MatchesWordsAsWrittenAndByTheirStem) {
    const auto k = small_index();
    EXPECT_EQ(ids_of(k->search("running", "en", 10)), std::vector<std::uint64_t>{1});
    EXPECT_EQ(ids_of(k->search("runs", "en", 10)), std::vector<std::uint64_t>{1}) << "stem run";
    EXPECT_EQ(ids_of(k->search("dog", "en", 10)), std::vector<std::uint64_t>{2});
    EXPECT_EQ(ids_of(k->search("chats", "fr", 10)), std::vector<std::uint64_t>{4});
    EXPECT_EQ(ids_of(k->search("Paris", "en", 10)), std::vector<std::uint64_t>{3})
        << "file names are searched";
    EXPECT_EQ(ids_of(k->search("猫", "ja", 10)), std::vector<std::uint64_t>{5}) << "CJK n-grams";
    EXPECT_EQ(ids_of(k->search("mountain", "en", 10)), std::vector<std::uint64_t>{6}) << "tags";
    EXPECT_TRUE(k->search("google", "en", 10).empty()) << "other metadata fields are not words";
    EXPECT_TRUE(k->search("zebra", "en", 10).empty());
    // More matching words rank first; the filter keeps to the allowed ids.
    const auto both = ids_of(k->search("cat dogs", "en", 10));
    EXPECT_EQ(std::set<std::uint64_t>(both.begin(), both.end()), (std::set<std::uint64_t>{1, 2}));
    const IdSet only_two({2});
    EXPECT_EQ(ids_of(k->search("cat dogs", "en", 10, &only_two)), std::vector<std::uint64_t>{2});
    EXPECT_EQ(k->matching_words("Cats running fast", "en", 1),
              (std::vector<std::string>{"cats", "running"}));
    EXPECT_TRUE(k->matching_words("cats", "en", 2).empty());
    EXPECT_TRUE(k->has_text());
    // Hostile text is words, never a query syntax error.
    EXPECT_NO_THROW(k->search("\"unbalanced (AND OR NOT * ~ -", "en", 10));
}

TEST(KeywordIndex, FindsWordsTypedWithoutTheirAccentsOrLigatures) {
    auto k = KeywordIndex::in_memory();
    k->add(record(1, "crème brûlée"));
    k->add(record(2, "cœur rouge"));
    k->add(record(3, "Łódź at night"));
    k->add(record(4, "Straße"));
    k->add(record(5, "creme solaire"));
    k->add(record(6, "ёлка"));
    k->add(record(7, "", "/photos/Café_de_Flore.jpg"));
    EXPECT_EQ(ids_of(k->search("creme brulee", "fr", 10)), (std::vector<std::uint64_t>{1, 5}))
        << "both words first, then one";
    EXPECT_EQ(ids_of(k->search("crème", "fr", 10)), (std::vector<std::uint64_t>{1, 5}))
        << "the word as written first, then its folded form";
    EXPECT_EQ(ids_of(k->search("coeur", "fr", 10)), std::vector<std::uint64_t>{2});
    EXPECT_EQ(ids_of(k->search("cœurs", "fr", 10)), std::vector<std::uint64_t>{2}) << "stem";
    EXPECT_EQ(ids_of(k->search("Lodz", "pl", 10)), std::vector<std::uint64_t>{3});
    EXPECT_EQ(ids_of(k->search("strasse", "de", 10)), std::vector<std::uint64_t>{4});
    EXPECT_EQ(ids_of(k->search("straße", "de", 10)), std::vector<std::uint64_t>{4});
    EXPECT_EQ(ids_of(k->search("cafe", "fr", 10)), std::vector<std::uint64_t>{7})
        << "file names too";
    EXPECT_TRUE(k->search("елка", "ru", 10).empty()) << "other scripts keep their letters";
    EXPECT_EQ(ids_of(k->search("ёлка", "ru", 10)), std::vector<std::uint64_t>{6});
    // Explain names the words as the query typed them.
    EXPECT_EQ(k->matching_words("une creme brulee", "fr", 1),
              (std::vector<std::string>{"creme", "brulee"}));
    EXPECT_EQ(k->matching_words("coeur", "fr", 2), std::vector<std::string>{"coeur"});
}

TEST(KeywordIndex, RemovalAndHasText) {
    auto k = KeywordIndex::in_memory();
    k->add(record(1, "", "IMG_0001.jpg"));
    EXPECT_FALSE(k->has_text()) << "a file name alone is not text";
    EXPECT_EQ(ids_of(k->search("img", "en", 5)), std::vector<std::uint64_t>{1});
    k->add(record(2, "a red heart"));
    EXPECT_TRUE(k->has_text());
    EXPECT_EQ(k->size(), 2u);
    k->remove(2);
    EXPECT_TRUE(k->search("heart", "en", 5).empty());
    EXPECT_EQ(k->size(), 1u);
}

TEST(KeywordIndex, CommitsItsLogPositionAndReadersOverlayWhatFollows) {
    TempDir dir("keyword-index");
    const StoreId store{1, 2, 3};
    {
        auto w = KeywordIndex::open(dir / "kw", true);
        EXPECT_EQ(w->applied_seq(), 0u);
        w->add(record(1, "a cat"));
        w->add(record(2, "a dog"));
        w->set_applied_seq(2);
        w->set_store_id(store);
        w->commit();
        // Xapian writes a closing writer's documents, but the log position moves only with
        // commit(): whoever opens it next replays operation 3 again, which changes nothing.
        w->add(record(3, "a bird"));
    }
    auto r = KeywordIndex::open(dir / "kw", false);
    EXPECT_EQ(r->applied_seq(), 2u);
    EXPECT_EQ(r->store_id(), store);
    EXPECT_EQ(r->size(), 3u);
    // What a reader replays from the log goes into its overlay (an image the committed state
    // already holds stays as it is).
    r->add(record(3, "a bird"));
    r->add(record(4, "a red bird"));
    r->remove(1);
    r->set_applied_seq(4);
    EXPECT_EQ(ids_of(r->search("bird", "en", 5)), (std::vector<std::uint64_t>{3, 4}));
    EXPECT_TRUE(r->search("cat", "en", 5).empty());
    EXPECT_EQ(r->size(), 3u);
    EXPECT_FALSE(r->reopen()) << "nothing committed since";
    {
        auto w = KeywordIndex::open(dir / "kw", true);
        w->add(record(5, "a fish"));
        w->set_applied_seq(5);
        w->commit();
    }
    EXPECT_TRUE(r->reopen());
    EXPECT_EQ(r->applied_seq(), 5u) << "the overlay is dropped: the caller replays after 5";
    EXPECT_EQ(ids_of(r->search("cat", "en", 5)), std::vector<std::uint64_t>{1});
    EXPECT_EQ(ids_of(r->search("bird", "en", 5)), std::vector<std::uint64_t>{3});
    EXPECT_EQ(ids_of(r->search("fish", "en", 5)), std::vector<std::uint64_t>{5});
    // Damage is a clear error (the collection then rebuilds the keyword index from the store).
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir / "kw"))
        if (e.path().extension() == ".glass") fs::resize_file(e.path(), 100, ec);
    const std::string msg =
        error_of([&] { KeywordIndex::open(dir / "kw", false)->search("cat", "en", 5); });
    EXPECT_NE(msg.find("keyword index"), std::string::npos) << msg;
}

TEST(KeywordIndex, IsCreatedAllAtOnceAndAHalfMadeOneIsCleanedUp) {
    TempDir dir("keyword-create");
    // What a process killed while Xapian created the database would have left.
    fs::create_directories(dir / "kw.new");
    std::ofstream(dir / "kw.new" / "postlist.glass") << "half";
    {
        auto w = KeywordIndex::open(dir / "kw", true);
        EXPECT_EQ(w->size(), 0u);
    }
    EXPECT_FALSE(fs::exists(dir / "kw.new"));
    // Made whole before it has its name: a reader finds the format without any commit of ours.
    auto r = KeywordIndex::open(dir / "kw", false);
    EXPECT_EQ(r->applied_seq(), 0u);
    EXPECT_EQ(r->size(), 0u);
}

TEST(HybridSearch, DamagedOrForeignKeywordIndexIsRebuiltFromTheStore) {
    TempDir dir("hybrid-damage");
    std::uint64_t zebra_index = 0;
    const fs::path data = captioned_collection(dir, &zebra_index);
    const auto tables = [&] {
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(data / "keywords"))
            if (e.path().extension() == ".glass") files.push_back(e.path());
        return files;
    };
    ASSERT_FALSE(tables().empty());
    for (const fs::path& f : tables()) fs::resize_file(f, 100);
    const auto bad_folders = [&] {
        int n = 0;
        for (const auto& e : fs::directory_iterator(data))
            n += e.path().filename().string().starts_with("keywords.bad-");
        return n;
    };
    {
        CollectionOptions ro;
        ro.read_only = true;
        const auto c = Collection::open(data, ro);  // rebuilds in memory, leaves the folder
        EXPECT_EQ(c->keyword_search("zebra", "en", 5).size(), 1u);
        EXPECT_EQ(bad_folders(), 0);
    }
    {
        const auto c = Collection::open(data);  // with write access: sets it aside, rebuilds
        EXPECT_EQ(c->keyword_search("zebra", "en", 5).size(), 1u);
        EXPECT_EQ(c->keyword_count(), 12u);
        EXPECT_EQ(bad_folders(), 1);
    }
    // Another collection's keyword index is foreign: replaced by this store's.
    TempDir other("hybrid-foreign");
    std::uint64_t unused = 0;
    const fs::path other_data = captioned_collection(other, &unused);
    fs::remove_all(other_data / "keywords");
    fs::copy(data / "keywords", other_data / "keywords");
    const auto c = Collection::open(other_data);
    EXPECT_EQ(c->keyword_count(), 12u);
    int aside = 0;
    for (const auto& e : fs::directory_iterator(other_data))
        aside += e.path().filename().string().starts_with("keywords.bad-");
    EXPECT_EQ(aside, 1) << "built from another image store";
}

TEST(HybridSearch, KeywordIndexOfTheFormatBeforeFoldingIsRebuiltInPlace) {
    TempDir dir("hybrid-format-1");
    const fs::path data = test::captioned_collection(dir, [](std::size_t i) {
        return i == 3 ? std::string("crème brûlée") : fmt::format("red heart {}", i);
    });
    {
        // What qiss wrote before folded words (format 1): the words as written only.
        Xapian::WritableDatabase db((data / "keywords").string(), Xapian::DB_OPEN);
        for (auto it = db.postlist_begin(""); it != db.postlist_end(""); ++it) {
            Xapian::Document doc = db.get_document(*it);
            for (const char* folded : {"creme", "brulee"}) try {
                    doc.remove_term(folded);
                } catch (const Xapian::InvalidArgumentError&) {  // not in this document
                }
            db.replace_document(*it, doc);
        }
        db.set_metadata("qiss:format", "1");
        db.commit();
    }
    const auto aside = [&] {
        int n = 0;
        for (const auto& e : fs::directory_iterator(data))
            n += e.path().filename().string().starts_with("keywords.");
        return n;
    };
    const auto stored = [&](const char* key) {
        return Xapian::Database((data / "keywords").string()).get_metadata(key);
    };
    const auto documents_with = [&](const char* term) {
        return Xapian::Database((data / "keywords").string()).get_termfreq(term);
    };
    ASSERT_EQ(documents_with("creme"), 0u);
    {
        CollectionOptions ro;
        ro.read_only = true;
        const auto c = Collection::open(data, ro);  // rebuilt in memory, the folder left alone
        EXPECT_EQ(c->keyword_search("creme brulee", "fr", 5).size(), 1u);
    }
    EXPECT_EQ(stored("qiss:format"), "1");
    const auto c = Collection::open(data);  // with write access: rebuilt where it was
    EXPECT_EQ(stored("qiss:format"), "2");
    EXPECT_EQ(documents_with("creme"), 1u);
    EXPECT_EQ(documents_with("brulee"), 1u);
    EXPECT_EQ(c->keyword_search("creme brulee", "fr", 5).size(), 1u);
    EXPECT_EQ(c->keyword_count(), 12u);
    EXPECT_EQ(aside(), 0) << "an older format is not damage: nothing is set aside";
}

TEST(Fusion, ReciprocalRankFusionAddsOneOverSixtyPlusRank) {
    const std::vector<std::uint64_t> semantic = {10, 20, 30};
    const std::vector<std::uint64_t> keyword = {30, 40};
    const auto fused = fuse_ranks(semantic, keyword);
    ASSERT_EQ(fused.size(), 4u);
    // 30: 1/63 + 1/61; 10: 1/61; 40: 1/62; 20: 1/62 (semantic rank 2 before keyword rank 2).
    EXPECT_EQ(fused[0].id, 30u);
    EXPECT_DOUBLE_EQ(fused[0].score, 1.0 / 63 + 1.0 / 61);
    EXPECT_EQ(fused[0].rank.semantic, 3);
    EXPECT_EQ(fused[0].rank.keyword, 1);
    EXPECT_EQ(fused[1].id, 10u);
    EXPECT_EQ(fused[2].id, 20u);
    EXPECT_EQ(fused[2].rank.keyword, 0);
    EXPECT_EQ(fused[3].id, 40u);
    EXPECT_EQ(fused[3].rank.semantic, 0);
    EXPECT_TRUE(fuse_ranks({}, {}).empty());
}

TEST(HybridSearch, CaptionWordsLiftTheirImageAndModesAnswerTheirWay) {
    TempDir dir("hybrid-engine");
    std::uint64_t zebra_index = 0;
    const fs::path data = captioned_collection(dir, &zebra_index);
    CollectionOptions ro;
    ro.read_only = true;
    const auto c = Collection::open(data, ro);
    ASSERT_TRUE(c->has_text());
    const auto zebra = c->keyword_search("zebra", "en", 5);
    ASSERT_EQ(zebra.size(), 1u);
    const std::uint64_t zebra_id = zebra[0].id;

    Query q;
    q.kind = Query::Kind::Text;
    q.text = "zebra";
    q.k = 5;
    const QueryResult hybrid = run_query(*c, q);
    EXPECT_EQ(hybrid.mode, SearchMode::Hybrid) << "the default of a collection with captions";
    ASSERT_FALSE(hybrid.hits.empty());
    EXPECT_EQ(hybrid.hits[0].id, zebra_id) << "found by its caption's word, and by meaning";
    ASSERT_EQ(hybrid.ranks.size(), hybrid.hits.size());
    EXPECT_EQ(hybrid.ranks[0].keyword, 1);
    // Every hit's score is still its cosine with the query, as a semantic search gives it.
    q.mode = SearchMode::Semantic;
    q.k = 12;
    const QueryResult semantic = run_query(*c, q);
    EXPECT_TRUE(semantic.ranks.empty());
    for (std::size_t i = 0; i < hybrid.hits.size(); ++i) {
        const auto it = std::find_if(semantic.hits.begin(), semantic.hits.end(),
                                     [&](const Hit& h) { return h.id == hybrid.hits[i].id; });
        ASSERT_NE(it, semantic.hits.end());
        EXPECT_NEAR(it->score, hybrid.hits[i].score, 1e-5);
        EXPECT_EQ(hybrid.ranks[i].semantic, static_cast<int>(it - semantic.hits.begin()) + 1);
    }
    // Keyword: the images whose words match, nothing else.
    q.mode = SearchMode::Keyword;
    q.k = 5;
    const QueryResult keyword = run_query(*c, q);
    ASSERT_EQ(keyword.hits.size(), 1u);
    EXPECT_EQ(keyword.hits[0].id, zebra_id);
    q.text = "heart";
    EXPECT_EQ(run_query(*c, q).hits.size(), 5u);
    q.text = "no such word";
    EXPECT_TRUE(run_query(*c, q).hits.empty());
    // Hybrid pages walk one fused order, with offset and with the cursor.
    q.text = "red heart";
    q.mode = SearchMode::Hybrid;
    q.k = 12;
    const QueryResult all = run_query(*c, q);
    q.k = 4;
    q.offset = 4;
    const QueryResult page2 = run_query(*c, q);
    q.offset = 0;
    const QueryResult page1 = run_query(*c, q);
    q.after = page1.next;
    const QueryResult after = run_query(*c, q);
    ASSERT_EQ(page2.hits.size(), 4u);
    ASSERT_EQ(after.hits.size(), 4u);
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_EQ(page2.hits[i].id, all.hits[4 + i].id);
        EXPECT_EQ(after.hits[i].id, all.hits[4 + i].id);
    }
    // A cursor of another mode is another query's.
    q.mode = SearchMode::Semantic;
    EXPECT_THROW(run_query(*c, q), Error);
    // Modes other than semantic need one text.
    Query by_id;
    by_id.kind = Query::Kind::Id;
    by_id.id = zebra_id;
    by_id.mode = SearchMode::Keyword;
    EXPECT_NE(error_of([&] { run_query(*c, by_id); }).find("mode=keyword needs a text query"),
              std::string::npos);
    by_id.mode.reset();
    EXPECT_EQ(run_query(*c, by_id).mode, SearchMode::Semantic);
}

TEST(HybridApi, ModeParameterAndMemberRanksAndKeywordMatches) {
    TempDir dir("hybrid-api");
    std::uint64_t zebra_index = 0;
    const fs::path data = captioned_collection(dir, &zebra_index);
    ServeProcess serve(data, dir.path());
    ASSERT_GT(serve.wait_port(), 0) << serve.output();
    auto cli = serve.client();
    const json health = parse(cli.Get("/api/health"));
    EXPECT_TRUE(health["has_text"].get<bool>());
    EXPECT_EQ(health["keyword_images"], health["images"]);

    const json hybrid = parse(cli.Get("/api/search?q=zebra&k=3"));
    EXPECT_EQ(hybrid["query"]["mode"], "hybrid");
    ASSERT_FALSE(hybrid["results"].empty());
    const json& first = hybrid["results"][0];
    EXPECT_EQ(first["caption"], "zebra crossing");
    EXPECT_EQ(first["ranks"]["keyword"], 1);
    const json semantic = parse(cli.Get("/api/search?q=zebra&k=3&mode=semantic"));
    EXPECT_EQ(semantic["query"]["mode"], "semantic");
    EXPECT_FALSE(semantic["results"][0].contains("ranks"));
    const json keyword = parse(
        cli.Post("/api/search", R"({"text": "crossing", "mode": "keyword"})", "application/json"));
    EXPECT_EQ(keyword["query"]["mode"], "keyword");
    ASSERT_EQ(keyword["results"].size(), 1u);
    EXPECT_EQ(keyword["results"][0]["id"], first["id"]);
    EXPECT_TRUE(keyword["results"][0]["ranks"]["semantic"].is_null());

    const std::uint64_t id = first["id"];
    const json e = parse(cli.Get(fmt::format("/api/images/{}/explain?q=a%20zebra%20crossing", id)));
    EXPECT_EQ(e["keyword_matches"], json::array({"zebra", "crossing"}));

    expect_error(cli.Get("/api/search?q=zebra&mode=fuzzy"), 400,
                 "mode must be hybrid, semantic or keyword (got 'fuzzy')");
    expect_error(cli.Get(fmt::format("/api/images/{}/similar?mode=keyword", id)), 400,
                 "mode=keyword needs a text query");
    expect_error(cli.Post("/api/search?mode=keyword", R"({"text": "zebra", "mode": "keyword"})",
                          "application/json"),
                 400, "give the mode once");
    expect_error(cli.Post("/api/search", R"({"text": "zebra", "mode": 3})", "application/json"),
                 400, "\"mode\" must be");
    // The CLI: --mode, and each result marked by what found it.
    serve.stop();
    const auto r = run_qiss("search --data " + data.string() + " --text zebra -k 2");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("mode: hybrid"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("\"zebra crossing\"  [meaning+words]"), std::string::npos) << r.output;
    const auto bad = run_qiss("search --data " + data.string() + " --text zebra --mode fuzzy");
    EXPECT_NE(bad.exit_code, 0);
    const auto info = run_qiss("info --json --data " + data.string());
    EXPECT_NE(info.output.find("\"has_text\":true"), std::string::npos) << info.output;
}
