#pragma once
// Readiness for a service manager: sd_notify(3) messages to systemd (Type=notify units,
// packaging/qiss.service). Without NOTIFY_SOCKET in the environment every call does nothing.
#include <string_view>

namespace qiss::server {

/// "READY=1" with a STATUS= line: the server listens and answers requests.
void notify_ready(std::string_view status);

/// "STOPPING=1": the server is finishing the requests in progress before it exits.
void notify_stopping();

}  // namespace qiss::server
