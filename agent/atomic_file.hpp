#pragma once
// Writing a rendered file so that readers see the old content or the new, never
// a mix: a temporary file in the same directory, fsync, rename over the old one,
// fsync of the directory. Nothing is written when the content is the same.

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace agent {

/// What write_if_changed did.
enum class write_outcome { written, unchanged, failed };

struct write_result {
  write_outcome outcome = write_outcome::failed;
  std::string error;  ///< why, when failed ("PATH: open: Permission denied")
};

/// The whole content of `path`; nullopt when it does not exist or cannot be read (`error`
/// then says why, and stays empty for a file that does not exist).
std::optional<std::string> read_file(const std::filesystem::path& path, std::string* error = nullptr);

/// Make `path` hold `content`: unchanged when it already does, else written atomically.
/// `mode`: the new file's permissions; nullopt keeps those of the file it replaces, or 0644.
/// The old file stays in place on any failure.
write_result write_if_changed(const std::filesystem::path& path, std::string_view content,
                              std::optional<unsigned> mode = std::nullopt);

}  // namespace agent
