#include "server/service_notify.h"

#include <systemd/sd-daemon.h>

#include <cstring>
#include <string>

#include <spdlog/spdlog.h>

namespace qiss::server {
namespace {

void notify(const std::string& message) {
    // < 0: the socket named by NOTIFY_SOCKET could not be written; 0: no NOTIFY_SOCKET.
    if (const int rc = ::sd_notify(0, message.c_str()); rc < 0)
        spdlog::warn("cannot notify the service manager: {}", std::strerror(-rc));
}

}  // namespace

void notify_ready(std::string_view status) {
    notify("READY=1\nSTATUS=" + std::string(status));
}

void notify_stopping() {
    notify("STOPPING=1\nSTATUS=stopping");
}

}  // namespace qiss::server
