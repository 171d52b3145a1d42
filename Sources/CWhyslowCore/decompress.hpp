// Compressed input (gzip, zstd) inflated piece by piece, so that memory follows what is read
// from it, never the decompressed size.
#pragma once

#include <cstddef>
#include <memory>

namespace whyslow {

/// A decoder over compressed bytes held in memory.
class Decompressor {
 public:
  /// A decoder for `bytes` when they start with the gzip or zstd magic, else null.
  static std::unique_ptr<Decompressor> open(const char *bytes, size_t length);

  virtual ~Decompressor() = default;

  /// Writes up to `capacity` decompressed bytes to `out`; 0 only at the end of the data. Throws
  /// ParseError when the data are corrupt or cut short, naming the compressed byte.
  virtual size_t read(char *out, size_t capacity) = 0;

  /// "gzip" or "zstd".
  virtual const char *name() const = 0;
};

}  // namespace whyslow
