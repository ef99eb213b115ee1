#include "dptrain/data/zip_check.h"

#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "dptrain/error.h"

namespace dptrain {
namespace {

// Zip's record signatures and fixed header sizes (PKWARE APPNOTE 4.3).
constexpr std::uint32_t kEndOfCentralDirectory = 0x06054b50;
constexpr std::uint32_t kCentralHeader = 0x02014b50;
constexpr std::uint32_t kLocalHeader = 0x04034b50;
constexpr std::size_t kEndSize = 22, kCentralSize = 46, kLocalSize = 30;
constexpr std::uint32_t kZip64Marker = 0xffffffff;  // the real value is in a zip64 field

// Little-endian fields of the archive, read in place.
class Bytes {
 public:
  explicit Bytes(const std::vector<std::uint8_t>& data) : data_(data) {}
  bool has(std::size_t at, std::size_t size) const { return at <= data_.size() && size <= data_.size() - at; }
  std::uint32_t u16(std::size_t at) const { return data_[at] | data_[at + 1] << 8; }
  std::uint32_t u32(std::size_t at) const { return u16(at) | u16(at + 2) << 16; }
  const std::uint8_t* at(std::size_t offset) const { return data_.data() + offset; }
  std::size_t size() const { return data_.size(); }

 private:
  const std::vector<std::uint8_t>& data_;
};

// Where the end-of-central-directory record starts: it is last, after a comment of up to 64 KiB.
bool find_end(const Bytes& zip, std::size_t& end) {
  if (zip.size() < kEndSize) return false;
  const std::size_t lowest = zip.size() > kEndSize + 65535 ? zip.size() - kEndSize - 65535 : 0;
  for (std::size_t at = zip.size() - kEndSize + 1; at-- > lowest;) {
    if (zip.u32(at) == kEndOfCentralDirectory) {
      end = at;
      return true;
    }
  }
  return false;
}

struct Record {
  std::string name;
  std::uint32_t method = 0, crc = 0, size = 0, local_offset = 0;
};

// The central directory's records, or none if it is not one this can read (zip64, damage).
std::vector<Record> central_directory(const Bytes& zip) {
  std::size_t end = 0;
  if (!find_end(zip, end)) return {};
  const std::uint32_t count = zip.u16(end + 10), offset = zip.u32(end + 16);
  if (offset == kZip64Marker) return {};
  std::vector<Record> records;
  std::size_t at = offset;
  for (std::uint32_t i = 0; i < count; ++i) {
    if (!zip.has(at, kCentralSize) || zip.u32(at) != kCentralHeader) return {};
    Record r;
    r.method = zip.u16(at + 10);
    r.crc = zip.u32(at + 16);
    r.size = zip.u32(at + 20);  // compressed size: for a stored record, the data's
    r.local_offset = zip.u32(at + 42);
    const std::size_t name = zip.u16(at + 28), extra = zip.u16(at + 30), comment = zip.u16(at + 32);
    if (!zip.has(at + kCentralSize, name)) return {};
    r.name.assign(reinterpret_cast<const char*>(zip.at(at + kCentralSize)), name);
    if (r.size == kZip64Marker || r.local_offset == kZip64Marker) return {};
    records.push_back(r);
    at += kCentralSize + name + extra + comment;
  }
  return records;
}

// Whether a stored record's bytes are where its headers say and match its CRC-32.
bool stored_record_intact(const Bytes& zip, const Record& r) {
  const std::size_t local = r.local_offset;
  if (!zip.has(local, kLocalSize) || zip.u32(local) != kLocalHeader) return false;
  const std::size_t data = local + kLocalSize + zip.u16(local + 26) + zip.u16(local + 28);
  if (!zip.has(data, r.size)) return false;
  uLong crc = crc32(0L, Z_NULL, 0);
  // zlib takes lengths as uInt: feed large records in pieces.
  for (std::size_t done = 0; done < r.size;) {
    const auto piece = static_cast<uInt>(std::min<std::size_t>(r.size - done, 1u << 30));
    crc = crc32(crc, zip.at(data + done), piece);
    done += piece;
  }
  return crc == r.crc;
}

}  // namespace

void check_zip_records(const std::vector<std::uint8_t>& bytes, const std::string& name) {
  const Bytes zip(bytes);
  // The tensors, nearly all of the file, are stored; a damaged compressed record (the model's
  // code) fails to inflate in LibTorch's own reader.
  for (const Record& r : central_directory(zip)) {
    if (r.method == 0 && !stored_record_intact(zip, r)) {
      throw Error(name + ": damaged: record " + r.name + " fails its CRC-32 check");
    }
  }
}

}  // namespace dptrain
