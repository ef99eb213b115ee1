#include "dptrain/data/idx.h"

#include <zlib.h>

#include <filesystem>
#include <memory>

#include "dptrain/error.h"

namespace dptrain {
namespace {

// IDX headers are big-endian: a 4-byte magic (0, 0, type, number of dimensions) followed by
// one 4-byte size per dimension.
constexpr std::uint8_t kUnsignedByteType = 0x08;

// Fashion-MNIST is 55 MB of pixels; anything claiming more than this is corrupt, and refusing
// it keeps a hostile header from making us allocate gigabytes.
constexpr std::uint64_t kMaxPayloadBytes = std::uint64_t{1} << 31;

std::uint32_t big_endian_u32(const std::uint8_t* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
         (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

std::size_t header_bytes(int dims) { return 4 + 4 * static_cast<std::size_t>(dims); }

// What is worth reading of a file whose first `header` bytes are in: the whole file its
// header describes, and one byte more to show that there is more; only the header when it is
// not one parse_idx accepts (it says what is wrong with it).
std::uint64_t worth_reading(const std::vector<std::uint8_t>& bytes, int dims) {
  const std::size_t header = header_bytes(dims);
  if (bytes[0] != 0 || bytes[1] != 0 || bytes[2] != kUnsignedByteType || bytes[3] != dims) return header;
  std::uint64_t payload = 1;
  for (int d = 0; d < dims; ++d) {
    payload *= big_endian_u32(&bytes[4 + 4 * d]);
    if (payload > kMaxPayloadBytes) return header;
  }
  return header + payload + 1;
}

// gzread reads plain files unchanged, so one path serves both forms. Reading stops where the
// header says the data ends: a small .gz that inflates to gigabytes costs no more memory than
// the data it claims.
std::vector<std::uint8_t> read_maybe_gzipped(const std::string& path, int dims) {
  if (!std::filesystem::is_regular_file(path)) throw Error(path + ": no such file");
  std::unique_ptr<gzFile_s, decltype(&gzclose)> file(gzopen(path.c_str(), "rb"), &gzclose);
  if (!file) throw Error(path + ": cannot open for reading");
  std::vector<std::uint8_t> bytes;
  std::uint64_t limit = 0;  // 0 until the header is in
  std::uint8_t chunk[1 << 16];
  while (limit == 0 || bytes.size() < limit) {
    const int n = gzread(file.get(), chunk, sizeof chunk);
    if (n < 0) {
      int code = 0;
      throw Error(path + ": corrupt or truncated gzip data (" + gzerror(file.get(), &code) + ")");
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), chunk, chunk + n);
    if (limit == 0 && bytes.size() >= header_bytes(dims)) limit = worth_reading(bytes, dims);
  }
  if (limit != 0 && bytes.size() > limit) bytes.resize(limit);
  return bytes;
}

}  // namespace

IdxArray parse_idx(const std::vector<std::uint8_t>& bytes, int expected_dims,
                   const std::string& name) {
  if (bytes.size() < 4) throw Error(name + ": truncated IDX file (no header)");
  if (bytes[0] != 0 || bytes[1] != 0 || bytes[2] != kUnsignedByteType ||
      bytes[3] != expected_dims) {
    char found[16];
    std::snprintf(found, sizeof found, "%02x%02x%02x%02x", bytes[0], bytes[1], bytes[2], bytes[3]);
    char wanted[16];
    std::snprintf(wanted, sizeof wanted, "000008%02x", expected_dims);
    throw Error(name + ": wrong IDX magic number 0x" + found + " (expected 0x" + wanted +
                ", unsigned bytes in " + std::to_string(expected_dims) + " dimensions)");
  }
  const std::size_t header = header_bytes(expected_dims);
  if (bytes.size() < header) throw Error(name + ": truncated IDX file (incomplete header)");
  IdxArray array;
  std::uint64_t payload = 1;
  for (int d = 0; d < expected_dims; ++d) {
    array.dims.push_back(big_endian_u32(&bytes[4 + 4 * d]));
    payload *= array.dims.back();
    if (payload > kMaxPayloadBytes) throw Error(name + ": IDX dimensions are implausibly large");
  }
  const std::uint64_t present = bytes.size() - header;
  if (present < payload) {
    throw Error(name + ": truncated IDX file (header promises " + std::to_string(payload) +
                " bytes of data, file has " + std::to_string(present) + ")");
  }
  if (present > payload) {  // (how many is not known: reading stops one byte past the data)
    throw Error(name + ": IDX file goes on after the data its header describes (" +
                std::to_string(payload) + " bytes)");
  }
  array.values.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return array;
}

IdxArray read_idx(const std::string& path, int expected_dims) {
  return parse_idx(read_maybe_gzipped(path, expected_dims), expected_dims, path);
}

std::string find_idx_file(const std::string& dir, const std::string& stem) {
  namespace fs = std::filesystem;
  if (fs::exists(dir) && !fs::is_directory(dir)) {
    throw Error(dir + ": is a file, not the directory holding the IDX files");
  }
  if (!fs::is_directory(dir)) throw Error(dir + ": no such directory");
  const fs::path plain = fs::path(dir) / stem;
  if (fs::is_regular_file(plain)) return plain.string();
  const fs::path gzipped = fs::path(dir) / (stem + ".gz");
  if (fs::is_regular_file(gzipped)) return gzipped.string();
  throw Error(plain.string() + "[.gz]: no such file");
}

}  // namespace dptrain
