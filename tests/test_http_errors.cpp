// Error kinds become HTTP statuses in one place (server/json_error.cpp), and the address
// policy of downloads (ingest/fetch.h) refuses this host's and private networks.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "common/error_kind.h"
#include "ingest/fetch.h"
#include "server/json_error.h"

using namespace qiss;

namespace {

nlohmann::json answer_to(std::exception_ptr e, int& status) {
    httplib::Response res;
    server::send_exception(res, std::move(e));
    status = res.status;
    return nlohmann::json::parse(res.body);
}

bool refused(const std::string& text) {
    sockaddr_storage ss{};
    if (::inet_pton(AF_INET, text.c_str(), &reinterpret_cast<sockaddr_in*>(&ss)->sin_addr) == 1)
        ss.ss_family = AF_INET;
    else if (::inet_pton(AF_INET6, text.c_str(),
                         &reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr) == 1)
        ss.ss_family = AF_INET6;
    else
        ADD_FAILURE() << "not an address: " << text;
    return is_private_address(reinterpret_cast<const sockaddr*>(&ss));
}

}  // namespace

TEST(HttpErrors, KindsMapToStatusesAndServerFaultsHideTheirDetails) {
    int status = 0;
    auto j = answer_to(std::make_exception_ptr(Error("k must be between 1 and 1000")), status);
    EXPECT_EQ(status, 400);
    EXPECT_EQ(j["error"], "k must be between 1 and 1000");
    j = answer_to(std::make_exception_ptr(KindedError("/srv/data/store: the image store is full",
                                                      ErrorKind::storage_full)),
                  status);
    EXPECT_EQ(status, 507);
    EXPECT_EQ(j["status"], 507);
    EXPECT_EQ(j["error"].get<std::string>().find("/srv"), std::string::npos) << j;
    j = answer_to(std::make_exception_ptr(KindedError(
                      "/srv/data/store/data.mdb: Input/output error", ErrorKind::storage)),
                  status);
    EXPECT_EQ(status, 500);
    EXPECT_EQ(j["error"].get<std::string>().find("/srv"), std::string::npos) << j;
    j = answer_to(std::make_exception_ptr(KindedError("no", ErrorKind::forbidden)), status);
    EXPECT_EQ(status, 403);
    EXPECT_EQ(server::status_for(ErrorKind::not_found), 404);
    EXPECT_EQ(server::status_for(ErrorKind::conflict), 409);
    EXPECT_EQ(server::status_for(ErrorKind::too_large), 413);
    EXPECT_EQ(server::status_for(ErrorKind::unsupported), 415);
    EXPECT_EQ(server::status_for(ErrorKind::unavailable), 503);
    EXPECT_EQ(server::status_for(ErrorKind::internal), 500);
    // JSON numbers beyond double's range (1e400) are the client's error.
    try {
        const auto parsed = nlohmann::json::parse(R"({"k":1e400})");
        ADD_FAILURE() << "1e400 parsed as " << parsed.dump();
    } catch (...) {
        answer_to(std::current_exception(), status);
        EXPECT_EQ(status, 400);
    }
}

TEST(FetchPolicy, RefusesLoopbackPrivateLinkLocalAndMulticastAddresses) {
    for (const char* a : {"127.0.0.1",
                          "127.255.0.9",
                          "0.0.0.0",
                          "10.1.2.3",
                          "172.16.0.1",
                          "172.31.255.255",
                          "192.168.1.1",
                          "100.64.0.1",
                          "169.254.169.254",
                          "224.0.0.1",
                          "255.255.255.255",
                          "::1",
                          "::",
                          "fe80::1",
                          "fc00::1",
                          "fd12:3456::1",
                          "ff02::1",
                          "::ffff:127.0.0.1",
                          "::ffff:10.0.0.1",
                          "64:ff9b::a9fe:a9fe"})
        EXPECT_TRUE(refused(a)) << a;
    for (const char* a : {"8.8.8.8", "1.1.1.1", "172.32.0.1", "192.169.0.1", "100.128.0.1",
                          "2606:4700:4700::1111", "::ffff:8.8.8.8"})
        EXPECT_FALSE(refused(a)) << a;
}

TEST(FetchPolicy, NamesAreCheckedOnTheAddressTheyResolveTo) {
    FetchLimits limits;
    limits.allow_private_addresses = false;
    limits.connect_timeout_s = 5;
    for (const char* url : {"http://localhost:1/a.png", "http://127.0.0.1:1/a.png"}) {
        try {
            fetch_url(url, limits);
            ADD_FAILURE() << url << " was fetched";
        } catch (const Error& e) {
            EXPECT_EQ(error_kind(e), ErrorKind::forbidden) << e.what();
            EXPECT_NE(std::string(e.what()).find("loopback"), std::string::npos) << e.what();
        }
    }
    // `qiss index` keeps fetching what the user named: the same URL fails only to connect.
    try {
        fetch_url("http://127.0.0.1:1/a.png", FetchLimits{});
        ADD_FAILURE() << "fetched";
    } catch (const Error& e) {
        EXPECT_EQ(error_kind(e), ErrorKind::invalid_input) << e.what();
    }
}
