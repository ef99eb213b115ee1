// Fuzz target: the checkpoint file parser. Random bytes almost never carry a valid SHA-256,
// so each input is also parsed with its last 32 bytes replaced by the right digest; that
// reaches the size checks and the split into header and payload behind the digest. Anything
// accepted must serialize back to exactly the bytes it came from.
#include <openssl/sha.h>

#include <cstdint>
#include <cstdlib>
#include <vector>

#include "dptrain/checkpoint/checkpoint_file.h"
#include "dptrain/error.h"

namespace {

std::vector<std::uint8_t> with_valid_digest(std::vector<std::uint8_t> bytes) {
  if (bytes.size() < SHA256_DIGEST_LENGTH) return bytes;
  const std::size_t body = bytes.size() - SHA256_DIGEST_LENGTH;
  SHA256(bytes.data(), body, bytes.data() + body);
  return bytes;
}

void parse_and_round_trip(const std::vector<std::uint8_t>& bytes) {
  try {
    const dptrain::CheckpointFile file = dptrain::parse_checkpoint(bytes, "fuzz input");
    if (dptrain::serialize_checkpoint(file) != bytes) std::abort();
  } catch (const dptrain::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::uint8_t> bytes(data, data + size);
  parse_and_round_trip(bytes);
  parse_and_round_trip(with_valid_digest(bytes));
  return 0;
}
