#include "cli/settings.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>

#include "common/error.h"

namespace qiss::cli {
namespace {

namespace fs = std::filesystem;

/// The variable's value, or "" when it is unset or empty (systemd's `Environment=QISS_X=`).
std::string env_value(const std::string& name) {
    const char* v = std::getenv(name.c_str());
    return v ? v : "";
}

/// The file's `key = value` lines through CLI11's TOML/INI reader: key -> value.
std::map<std::string, std::string> read_config_file(const std::string& file,
                                                    const std::string& known_keys) {
    std::error_code ec;
    const auto status = fs::status(file, ec);
    QISS_CHECK(fs::exists(status), "config file {}: no such file", file);
    QISS_CHECK(fs::is_regular_file(status), "config file {}: not a regular file", file);
    std::ifstream in(file);
    QISS_CHECK(in.good(), "config file {}: cannot be read: {}", file, std::strerror(errno));
    std::vector<CLI::ConfigItem> items;
    try {
        items = CLI::ConfigTOML().from_config(in);
    } catch (const CLI::Error& e) {
        QISS_THROW("config file {}: {}", file, e.what());
    }
    QISS_CHECK(!in.bad(), "config file {}: read error", file);
    std::map<std::string, std::string> out;
    for (const auto& item : items) {
        // CLI11 marks a [section]'s start and end with items named "++" and "--".
        const bool section = item.name == "++" || item.name == "--";
        QISS_CHECK(item.parents.empty() && !section,
                   "config file {}: {}: settings are top-level keys (`port = 8080`), not in "
                   "[sections] or dotted keys",
                   file,
                   section ? "[" + CLI::detail::join(item.parents, ".") + "]"
                           : "`" + item.fullname() + "`");
        QISS_CHECK(known_keys.find(" " + item.name + ",") != std::string::npos,
                   "config file {}: unknown key `{}`; the keys are the long options without "
                   "their dashes:{}",
                   file, item.name, known_keys.substr(0, known_keys.size() - 1));
        QISS_CHECK(item.inputs.size() == 1, "config file {}: `{}` takes one value, not {}", file,
                   item.name, item.inputs.size());
        QISS_CHECK(out.emplace(item.name, item.inputs.front()).second,
                   "config file {}: `{}` is given twice", file, item.name);
    }
    return out;
}

std::string quoted_if_text(const CLI::Option& o, const std::string& value) {
    if (o.get_expected_min() == 0 || o.get_type_name() != "TEXT") return value;
    return "\"" + value + "\"";
}

}  // namespace

Settings::Settings(CLI::App* sub, std::string env_prefix)
    : sub_(sub), prefix_(std::move(env_prefix)) {
    for (CLI::Option* o : sub_->get_options()) {
        if (o->get_lnames().empty() || o == sub_->get_help_ptr()) continue;
        Entry e;
        e.option = o;
        e.key = o->get_lnames().front();
        e.env = env_name(e.key);
        e.required = o->get_required();
        if (e.required) {
            o->required(false);
            o->description(o->get_description() + " (required)");
        }
        entries_.push_back(std::move(e));
    }
    sub_->add_option("--config", config_,
                     fmt::format("Read settings from this TOML/INI file (`port = 8080`; also "
                                 "{}CONFIG): command line > {}* environment > file > default",
                                 prefix_, prefix_));
    sub_->add_flag("--print-config", print_,
                   "Print the effective settings, each with where it came from, and exit");
    sub_->footer(fmt::format(
        "Every option can also be set as {}<NAME> in the environment (QISS_MAX_UPLOAD_MB=8) or "
        "as `name = value` in the --config file (max-upload-mb = 8); the command line wins, then "
        "the environment, then the file (docs/operations.md).",
        prefix_));
}

std::string Settings::env_name(std::string_view long_name) const {
    std::string out = prefix_;
    for (char c : long_name)
        out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
}

std::string Settings::known_keys() const {
    std::string keys;
    for (const auto& e : entries_) keys += " " + e.key + ",";
    return keys;
}

void Settings::assign(Entry& e, const std::string& value, const std::string& where) {
    CLI::Option& o = *e.option;
    o.clear();
    try {
        if (o.get_expected_min() == 0) {  // a flag: true/false, yes/no, on/off, 1/0
            std::int64_t v = 0;
            try {
                v = CLI::detail::to_flag_value(value);
            } catch (const std::exception&) {
                QISS_THROW("{}: `{}` is not true or false", where, value);
            }
            o.add_result(v > 0 ? "true" : "false");
        } else {
            o.add_result(value);
        }
        o.run_callback();
    } catch (const CLI::Error& err) {
        QISS_THROW("{}: {}", where, err.what());
    }
}

void Settings::apply() {
    std::string file = config_;
    if (file.empty()) file = env_value(prefix_ + "CONFIG");
    std::map<std::string, std::string> from_file;
    if (!file.empty()) from_file = read_config_file(file, known_keys());
    // Every layer that gives a value is applied, lowest first, so that each value is checked
    // (a bad one is an error even where a higher layer overrides it) and the highest one stays.
    for (Entry& e : entries_) {
        const CLI::results_t command_line = e.option->results();
        if (auto it = from_file.find(e.key); it != from_file.end()) {
            assign(e, it->second, fmt::format("config file {}: {} = {}", file, e.key, it->second));
            e.source = SettingSource::config_file;
            e.origin = file;
        }
        if (const std::string v = env_value(e.env); !v.empty()) {
            assign(e, v, fmt::format("environment variable {}={}", e.env, v));
            e.source = SettingSource::environment;
            e.origin = e.env;
        }
        if (!command_line.empty()) {
            if (e.source != SettingSource::default_value) {
                e.option->clear();
                e.option->add_result(command_line);
                e.option->run_callback();
            }
            e.source = SettingSource::command_line;
        }
    }
    if (print_) return;
    for (const Entry& e : entries_)
        QISS_CHECK(!e.required || e.option->count() > 0,
                   "--{} is required: give it on the command line, as {} in the environment or "
                   "as `{}` in the --config file",
                   e.key, e.env, e.key);
}

std::string Settings::describe() const {
    std::string out = fmt::format(
        "# Effective settings of `{}` (command line > environment > config file > default)\n",
        sub_->get_name());
    for (const Entry& e : entries_) {
        const CLI::Option& o = *e.option;
        std::string line, from;
        switch (e.source) {
            case SettingSource::command_line:
                from = "command line";
                break;
            case SettingSource::environment:
                from = "environment " + e.origin;
                break;
            case SettingSource::config_file:
                from = "config file " + e.origin;
                break;
            case SettingSource::default_value:
                from = "default";
                break;
        }
        if (e.source != SettingSource::default_value) {
            line = e.key + " = " + quoted_if_text(o, o.results().empty() ? "" : o.results().back());
        } else if (o.get_expected_min() == 0) {
            line = e.key + " = false";
        } else if (!o.get_default_str().empty()) {
            line = e.key + " = " + quoted_if_text(o, o.get_default_str());
        } else {
            line = "# " + e.key + " =";
            from = "unset";
        }
        out += fmt::format("{:<40} # {}\n", line, from);
    }
    return out;
}

}  // namespace qiss::cli
