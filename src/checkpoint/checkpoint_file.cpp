#include "dptrain/checkpoint/checkpoint_file.h"

#include <openssl/sha.h>

#include <cstring>
#include <filesystem>
#include <system_error>
#include <fstream>

#include "dptrain/error.h"

namespace dptrain {
namespace {

constexpr char kMagic[8] = {'D', 'P', 'T', 'R', 'C', 'K', 'P', 'T'};
constexpr std::size_t kFixedHeader = 8 + 4 + 8 + 8;
constexpr std::size_t kDigest = SHA256_DIGEST_LENGTH;

void put_le(std::vector<std::uint8_t>& out, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

std::uint64_t get_le(const std::uint8_t* p, int bytes) {
  std::uint64_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) value = (value << 8) | p[i];
  return value;
}

}  // namespace

std::vector<std::uint8_t> serialize_checkpoint(const CheckpointFile& file) {
  std::vector<std::uint8_t> out(kMagic, kMagic + 8);
  put_le(out, kCheckpointFormatVersion, 4);
  put_le(out, file.header.size(), 8);
  put_le(out, file.payload.size(), 8);
  out.insert(out.end(), file.header.begin(), file.header.end());
  out.insert(out.end(), file.payload.begin(), file.payload.end());
  std::uint8_t digest[kDigest];
  SHA256(out.data(), out.size(), digest);
  out.insert(out.end(), digest, digest + kDigest);
  return out;
}

CheckpointFile parse_checkpoint(const std::vector<std::uint8_t>& bytes, const std::string& name) {
  if (bytes.size() < kFixedHeader + kDigest || std::memcmp(bytes.data(), kMagic, 8) != 0) {
    throw Error(name + ": not a dptrain checkpoint (bad magic or too short)");
  }
  const std::uint64_t version = get_le(&bytes[8], 4);
  if (version != kCheckpointFormatVersion) {
    throw Error(name + ": checkpoint format version " + std::to_string(version) +
                ", this dptrain reads version " + std::to_string(kCheckpointFormatVersion));
  }
  const std::uint64_t header = get_le(&bytes[12], 8);
  const std::uint64_t payload = get_le(&bytes[20], 8);
  const std::uint64_t body = bytes.size() - kFixedHeader - kDigest;
  if (header > body || payload > body || header + payload != body) {
    throw Error(name + ": truncated or corrupt checkpoint (sizes do not match the file)");
  }
  std::uint8_t digest[kDigest];
  SHA256(bytes.data(), bytes.size() - kDigest, digest);
  if (std::memcmp(digest, &bytes[bytes.size() - kDigest], kDigest) != 0) {
    throw Error(name + ": corrupt checkpoint (checksum mismatch)");
  }
  CheckpointFile file;
  const auto* start = bytes.data() + kFixedHeader;
  file.header.assign(reinterpret_cast<const char*>(start), header);
  file.payload.assign(start + header, start + header + payload);
  return file;
}

std::vector<std::uint8_t> read_whole_file(const std::string& path) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) throw Error(path + ": is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open for reading");
  return std::vector<std::uint8_t>((std::istreambuf_iterator<char>(in)), {});
}

}  // namespace dptrain
