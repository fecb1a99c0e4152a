// A Server inside another program: constructing, starting and serving with it leaves the
// program's thread settings (ATen's count, the calling thread's OpenMP team) as they were; only
// `qiss serve` sets them process-wide.
#include <omp.h>

#include <thread>

#include <ATen/Parallel.h>

#include "engine/collection.h"
#include "server/server.h"
#include "server_fixture.h"

namespace qiss::test {
namespace {

TEST(ServerThreads, ServingLeavesTheCallersThreadSettingsAlone) {
    TempDir dir("server-threads");
    fs::copy(base_collection(), dir / "data", fs::copy_options::recursive);
    CollectionOptions co;
    co.read_only = true;
    auto collection = Collection::open(dir / "data", co);

    const int aten_before = at::get_num_threads();
    const int omp_before = omp_get_max_threads();
    server::ServerOptions o;
    o.port = 0;
    o.threads = 2;
    o.embed_threads = omp_before + 1;  // differs from the caller's, whatever the machine
    server::Server srv(*collection, false, o);
    EXPECT_EQ(at::get_num_threads(), aten_before);
    EXPECT_EQ(omp_get_max_threads(), omp_before);

    const int port = srv.start();
    ASSERT_GT(port, 0);
    std::thread serving([&srv] { srv.listen(); });
    httplib::Client cli("127.0.0.1", port);
    cli.set_read_timeout(std::chrono::seconds(60));
    const json answer = parse(cli.Get("/api/search?q=cat&k=3"));
    EXPECT_EQ(answer["results"].size(), 3u) << answer.dump();
    srv.stop();
    serving.join();

    EXPECT_EQ(at::get_num_threads(), aten_before);
    EXPECT_EQ(omp_get_max_threads(), omp_before);
}

}  // namespace
}  // namespace qiss::test
