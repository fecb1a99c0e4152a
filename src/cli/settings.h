#pragma once
// The settings of a subcommand from four layers: its command line, QISS_* environment variables,
// a config file (--config or QISS_CONFIG) and the built-in defaults (docs/operations.md).
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

namespace qiss::cli {

/// Where an option's effective value came from.
enum class SettingSource { command_line, environment, config_file, default_value };

/// Layers the environment and a config file under the command line of one subcommand, in the
/// order command line > environment > config file > built-in default. Every option with a long
/// name takes part: the file key is that name without the dashes (`max-upload-mb = 8`), the
/// variable is the prefix and the name in upper case with underscores (`QISS_MAX_UPLOAD_MB`).
///
/// CLI11's own `envname()` and `set_config()` are not used: CLI11 reads a config file before the
/// environment and fills from the environment only what is still empty, so a file would beat the
/// environment. Here CLI11 parses the command line alone; apply() then feeds the file's value,
/// then the environment's, then the command line's again, through the option's own validators
/// and conversion: the last one given stays.
class Settings {
  public:
    /// Call once every option of `sub` is added. Adds `--config FILE` and `--print-config`, and
    /// takes over the options' required() checks (done by apply(), once every layer is in).
    Settings(CLI::App* sub, std::string env_prefix = "QISS_");

    /// After CLI11 has parsed the command line: gives each option the value of the highest layer
    /// that has one (command line, environment, config file), then checks the required ones
    /// (unless --print-config). Every value found is checked by the option, also one a higher
    /// layer overrides. Throws qiss::Error naming the variable, key or file at fault: an
    /// unknown key, a value an option refuses, an unreadable file.
    void apply();

    /// --print-config was given: describe() instead of running the command.
    bool print_requested() const { return print_; }

    /// The effective settings as a config file, each with where it came from in a comment; the
    /// unset ones commented out.
    std::string describe() const;

    /// The environment variable of a long option name: "max-upload-mb" -> "QISS_MAX_UPLOAD_MB".
    std::string env_name(std::string_view long_name) const;

  private:
    struct Entry {
        CLI::Option* option = nullptr;
        std::string key;  ///< the long name without dashes
        std::string env;  ///< the environment variable
        bool required = false;
        SettingSource source = SettingSource::default_value;
        std::string origin;  ///< the variable or the file it came from
    };
    void assign(Entry& e, const std::string& value, const std::string& where);
    std::string known_keys() const;

    CLI::App* sub_;
    std::string prefix_;
    std::string config_;
    bool print_ = false;
    std::vector<Entry> entries_;
};

}  // namespace qiss::cli
