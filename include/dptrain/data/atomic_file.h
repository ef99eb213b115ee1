// Output files that appear complete or not at all: a reader (or a user looking at a results
// directory after a job was killed) never finds half a PNG or half a JSON file.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace dptrain {

// What becomes of a file that already has the output's name when the new one is complete.
enum class IfExists {
  replace,
  refuse,  // an Error naming it, also when another process created it while this one wrote
};

// Calls `write` with a temporary path in the directory of `path` (".<name>.tmp.<pid>"), then
// renames the temporary file onto `path`. If `write` throws, the temporary file is removed and
// `path` is left as it was, also when SIGINT, SIGTERM or SIGHUP end the process meanwhile.
// Throws dptrain::Error naming `path` when its directory is missing or `path` exists and is not
// a regular file (a device such as /dev/null, or a directory).
void replace_atomically(const std::string& path,
                        const std::function<void(const std::string& temporary)>& write,
                        IfExists if_exists = IfExists::replace);

// replace_atomically for text content.
void write_text_atomically(const std::string& path, const std::string& text);

// replace_atomically for bytes that must survive a crash (checkpoints, models, datasets):
// written and synced to disk before the rename, and the directory synced after it. A crash
// leaves either the old state or the complete new file; a full disk is an Error naming `path`.
void write_file_atomically(const std::string& path, const std::vector<std::uint8_t>& bytes,
                           IfExists if_exists = IfExists::replace);

// Throws dptrain::Error "<path>: cannot open <what> for writing" unless `path` can be written,
// and as replace_atomically does if it is not a regular file: an output that will be written
// later (after training, after a benchmark) fails before the work. Leaves an existing file as
// it is and creates none.
void check_writable(const std::string& path, const std::string& what);

// Creates the output directory `dir` given by `option` (e.g. "--out-dir") and its parents;
// throws dptrain::Error naming both when it cannot.
void create_output_directory(const std::string& option, const std::string& dir);

}  // namespace dptrain
